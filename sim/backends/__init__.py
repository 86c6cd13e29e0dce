"""Simulator backends of ``sim.harness.run_bitlinear``: each drives a ``Stimulus`` into a design
and reports to a ``Scoreboard``, returning a :class:`sim.harness.BackendRun`."""
