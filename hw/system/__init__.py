"""What a board top drops in: the accelerator behind its UART, or the array behind a bench harness."""
