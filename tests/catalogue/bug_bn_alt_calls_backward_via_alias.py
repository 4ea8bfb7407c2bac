"""batchnorm_backward_alt calls batchnorm_backward through a local name.

The same delegation as bug_bn_alt_calls_backward, which the structure check
catches by the name of the called function; here the call is `backward(...)`.
"""
import numpy as np

TARGET = "norm"
FUNCTIONS = ("batchnorm_backward_alt",)
KIND = "bug"
LOSES = ("batchnorm_backward_alt",)
XFAIL = ("the structure check (grade.calls_function) looks for a call whose name is batchnorm_backward; "
         "an alias, getattr or a shared helper is not seen")


def batchnorm_backward_alt(dout, cache):
    backward = batchnorm_backward
    return backward(dout, cache)
