"""The gateware and its flows: ``config`` and ``formats`` (the facts), ``datapath`` (the array),
``memory`` (block RAM and SPRAM), ``link`` (UART host protocol), ``system`` (what a board drops in);
``build``, ``export`` and ``resources`` are the command lines."""
