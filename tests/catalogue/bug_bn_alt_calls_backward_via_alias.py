"""batchnorm_backward_alt calls batchnorm_backward through a local name.

The same delegation as bug_bn_alt_calls_backward, through an alias: the
structure check follows aliases and helper functions (checks/source.py calls_function).
"""

import numpy as np

TARGET = "norm"
FUNCTIONS = ("batchnorm_backward_alt",)
KIND = "bug"
LOSES = ("batchnorm_backward_alt",)


def batchnorm_backward_alt(dout, cache):
    backward = batchnorm_backward
    return backward(dout, cache)
