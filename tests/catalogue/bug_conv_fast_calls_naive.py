"""conv_forward_fast and conv_backward_fast just call the naive versions.

Right values, but the naive loops run inside: no vectorization points.
"""

import numpy as np

TARGET = "conv"
FUNCTIONS = ("conv_forward_fast", "conv_backward_fast")
KIND = "bug"
LOSES = ("conv_forward_fast", "conv_backward_fast")
EXPECT = {"conv_forward_fast": "a Python loop over N", "conv_backward_fast": "a Python loop over H'"}
CATEGORIES = ("vectorized",)


def conv_forward_fast(x, w, b, conv_param):
    return conv_forward_naive(x, w, b, conv_param)


def conv_backward_fast(dout, cache):
    return conv_backward_naive(dout, cache)
