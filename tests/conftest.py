import pytest
from amaranth.sim import Simulator


def simulate(dut, testbench, *, clocked=True):
    """Run one async testbench against ``dut``, clocking ``sync`` if the design has it."""
    sim = Simulator(dut)
    if clocked:
        sim.add_clock(1e-8, if_exists=True)
    sim.add_testbench(testbench)
    sim.run()


@pytest.fixture
def run_sim():
    return simulate
