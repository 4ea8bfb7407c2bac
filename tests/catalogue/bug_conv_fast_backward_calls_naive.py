"""conv_backward_fast hands the work to conv_backward_naive (rebuilding its cache).

Right gradients, but the naive loops run inside it: a loop over N, H' and W'.
"""

import numpy as np

TARGET = "conv"
FUNCTIONS = ("conv_backward_fast",)
KIND = "bug"
LOSES = ("conv_backward_fast",)
EXPECT = {"conv_backward_fast": "a Python loop over N"}
CATEGORIES = ("vectorized",)


def conv_backward_fast(dout, cache):
    x, w, b, conv_param, _ = cache
    _, naive_cache = conv_forward_naive(x, w, b, conv_param)
    return conv_backward_naive(dout, naive_cache)
