"""Device memories: block RAM read ports without emulation logic, and the UP5K's SPRAM."""
