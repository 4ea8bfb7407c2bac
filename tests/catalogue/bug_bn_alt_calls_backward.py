"""batchnorm_backward_alt just returns batchnorm_backward(dout, cache).

Right values, but not the closed form the assignment asks for: the structure points go.
"""

import numpy as np

TARGET = "norm"
FUNCTIONS = ("batchnorm_backward_alt",)
KIND = "bug"
LOSES = ("batchnorm_backward_alt",)
EXPECT = {"batchnorm_backward_alt": "batchnorm_backward_alt calls batchnorm_backward"}


def batchnorm_backward_alt(dout, cache):
    return batchnorm_backward(dout, cache)
