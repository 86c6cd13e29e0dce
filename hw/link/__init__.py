"""The host link: the wire protocol (pure Python), the UART, clock crossings and the protocol engine."""
