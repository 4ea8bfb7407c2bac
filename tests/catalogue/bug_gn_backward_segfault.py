"""spatial_groupnorm_backward crashes the interpreter (reads address 0 with ctypes: SIGSEGV).

Only spatial_groupnorm_backward may lose points; the forward keeps them all.
"""

import numpy as np

TARGET = "norm"
FUNCTIONS = ("spatial_groupnorm_backward",)
KIND = "bug"
CRASHES = True
LOSES = ("spatial_groupnorm_backward",)
EXPECT = {"spatial_groupnorm_backward": "SIGSEGV"}


def spatial_groupnorm_backward(dout, cache):
    import ctypes

    ctypes.string_at(0)
