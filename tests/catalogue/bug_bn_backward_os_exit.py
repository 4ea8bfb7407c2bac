"""batchnorm_backward ends the process it runs in (os._exit(0)).

Only batchnorm_backward may lose points: its forward and batchnorm_backward_alt,
which run in the same group, are graded in a fresh process after the crash.
"""

import numpy as np

TARGET = "norm"
FUNCTIONS = ("batchnorm_backward",)
KIND = "bug"
CRASHES = True
LOSES = ("batchnorm_backward",)
EXPECT = {"batchnorm_backward": "exited with code 0"}


def batchnorm_backward(dout, cache):
    import os

    os._exit(0)
