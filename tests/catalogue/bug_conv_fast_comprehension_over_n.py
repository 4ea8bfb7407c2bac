"""conv_forward_fast hides a loop over the samples in a list comprehension.

Each sample is one matrix product; np.stack joins them. Right values, but a
comprehension is a Python loop: its line runs once per sample.
"""

import numpy as np

TARGET = "conv"
FUNCTIONS = ("conv_forward_fast",)
KIND = "bug"
LOSES = ("conv_forward_fast",)
EXPECT = {"conv_forward_fast": "a Python loop over N"}
CATEGORIES = ("vectorized",)


def conv_forward_fast(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols = np.empty((C, HH, WW, N, H_out, W_out))
    for u in range(HH):
        for v in range(WW):
            cols[:, u, v] = x_pad[:, :, u : u + stride * H_out : stride, v : v + stride * W_out : stride].transpose(
                1, 0, 2, 3
            )
    w_mat = w.reshape(F, -1)
    out = (
        np.stack([(w_mat @ cols[:, :, :, n].reshape(C * HH * WW, -1)).reshape(F, H_out, W_out) for n in range(N)])
        + b[None, :, None, None]
    )
    cache = (x, w, b, conv_param, cols.reshape(C * HH * WW, N * H_out * W_out))
    return out, cache
