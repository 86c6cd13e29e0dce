"""A tiny BitNet b1.58 character language model whose BitLinear layers run on the accelerator.

corpus (the text it learns), model (architecture, forward pass, the packed model file), train
(NumPy training with the straight-through estimator), engines (where each integer product runs:
golden/ or the simulated/real array), and ``python -m lm`` (the ``make demo`` comparison).
"""
