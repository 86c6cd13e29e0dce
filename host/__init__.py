"""The host side: ``host.driver.Accelerator`` talks to a board (or the simulated one) over serial."""
