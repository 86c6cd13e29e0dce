"""Language models whose BitLinear layers run on the accelerator: a tiny BitNet b1.58 character
model of our own, and real BitNet b1.58 transformers from checkpoints.

corpus (the text the tiny model learns), model (its architecture, forward pass and packed model
file), train (NumPy training with the straight-through estimator), engines (where each integer
product runs: golden/, the simulated array or a board, any layer as tiles), bitnet/ (the
BitNetForCausalLM transformer and its Hugging Face and GGUF loaders), and ``python -m lm`` (the
``make demo`` comparison of golden/ and the array).
"""
