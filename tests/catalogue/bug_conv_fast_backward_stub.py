"""conv_backward_fast left as the handout's stub: it raises NotImplementedError."""

import numpy as np

TARGET = "conv"
FUNCTIONS = ("conv_backward_fast",)
KIND = "bug"
LOSES = ("conv_backward_fast",)
EXPECT = {"conv_backward_fast": "is not implemented yet (it raises NotImplementedError)"}


def conv_backward_fast(dout, cache):
    raise NotImplementedError
