"""conv_forward_fast and conv_backward_fast just call the naive versions.

Right values, but hundreds of times slower than the reference: no speed points.
"""
import numpy as np

TARGET = "conv"
FUNCTIONS = ("conv_forward_fast", "conv_backward_fast")
KIND = "bug"
LOSES = ("conv_forward_fast", "conv_backward_fast")
EXPECT = {"conv_forward_fast": ": 0% of the speed points", "conv_backward_fast": ": 0% of the speed points"}


def conv_forward_fast(x, w, b, conv_param):
    return conv_forward_naive(x, w, b, conv_param)


def conv_backward_fast(dout, cache):
    return conv_backward_naive(dout, cache)
