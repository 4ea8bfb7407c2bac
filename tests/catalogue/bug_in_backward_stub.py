"""instancenorm_backward left as the handout's stub: it raises NotImplementedError."""

import numpy as np

TARGET = "norm"
FUNCTIONS = ("instancenorm_backward",)
KIND = "bug"
LOSES = ("instancenorm_backward",)
EXPECT = {"instancenorm_backward": "instancenorm_backward is not implemented yet"}


def instancenorm_backward(dout, cache):
    raise NotImplementedError
