"""conv_forward_fast loops over N and switches the line counter off around the loop.

getattr with a built-up name gets past a reading of the source; the worker's
guard refuses the call and says where it came from. No vectorization credit.
"""

import numpy as np

TARGET = "conv"
FUNCTIONS = ("conv_forward_fast",)
KIND = "bug"
LOSES = ("conv_forward_fast",)
EXPECT = {"conv_forward_fast": "could not count your code's work: sys.settrace called at layers/conv.py line"}
CATEGORIES = ("vectorized",)


def conv_forward_fast(x, w, b, conv_param):
    import sys

    hook = getattr(sys, "set" + "trace")
    previous = getattr(sys, "get" + "trace")()
    hook(None)
    out, _ = conv_forward_naive(x, w, b, conv_param)
    hook(previous)
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out, W_out = out.shape[2], out.shape[3]
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols = np.empty((C, HH, WW, N, H_out, W_out))
    for u in range(HH):
        for v in range(WW):
            cols[:, u, v] = x_pad[:, :, u : u + stride * H_out : stride, v : v + stride * W_out : stride].transpose(
                1, 0, 2, 3
            )
    return out, (x, w, b, conv_param, cols.reshape(C * HH * WW, N * H_out * W_out))
