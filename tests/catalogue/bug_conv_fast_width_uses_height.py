"""conv_forward_fast computes W' from H: W_out = 1 + (H + 2 pad - WW) // stride.

Right on square inputs (the speed test's), wrong on every hidden case with H != W.
"""

import numpy as np

TARGET = "conv"
FUNCTIONS = ("conv_forward_fast",)
KIND = "bug"
LOSES = ("conv_forward_fast",)
ALSO_AFFECTS = ("conv_backward_fast",)


def conv_forward_fast(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (H + 2 * pad - WW) // stride
    x_pad = np.zeros((C, N, H + 2 * pad, W + 2 * pad))
    x_pad[:, :, pad : pad + H, pad : pad + W] = x.transpose(1, 0, 2, 3)
    cols = np.empty((C, HH, WW, N, H_out, W_out))
    for u in range(HH):
        for v in range(WW):
            cols[:, u, v] = x_pad[:, :, u : u + stride * H_out : stride, v : v + stride * W_out : stride]
    cols = cols.reshape(C * HH * WW, N * H_out * W_out)
    out = w.reshape(F, -1) @ cols + b.reshape(F, 1)
    out = out.reshape(F, N, H_out, W_out).transpose(1, 0, 2, 3).copy()
    cache = (x, w, b, conv_param, cols)
    return out, cache
