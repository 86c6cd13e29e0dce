"""cocotb 2.x testbench for the exported ``bitlinear_top`` (see ``runner.run_cocotb``)."""
