"""``make bench``: measured figures of the design (throughput against its bounds, simulation speed,
resources and Fmax of the ternary array and the int8-multiplier baseline). See bench/__main__.py."""
