"""The BitLinear array: PEs, adder trees, rows, activation buffer, weight memory, counters, top."""
