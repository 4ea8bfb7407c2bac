"""Layers of the convolution and normalization assignment.

You write `conv.py` and `norm.py`; everything else here is given:
`gradient_check.py` (numerical gradient checks), `basic.py` (affine, ReLU,
pooling, softmax loss), `model.py`, `solver.py`, `data.py` (for the
experiments) and `selfcheck.py` (the quick check `collate.sh` runs).
"""
