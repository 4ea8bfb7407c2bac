"""conv_forward_fast loops over the samples, building one small patch matrix per sample.

SPEC: vectorized, no Python loop over N. Right values, and on a mid-size
layer about as fast as the reference (timing could hardly tell); the
vectorization check counts the loop's lines growing with N.
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
    out = np.empty((N, F, H_out, W_out))
    all_cols = np.empty((C, HH, WW, N, H_out, W_out))
    for n in range(N):
        for u in range(HH):
            for v in range(WW):
                all_cols[:, u, v, n] = x_pad[n, :, u : u + stride * H_out : stride, v : v + stride * W_out : stride]
        cols_n = all_cols[:, :, :, n].reshape(C * HH * WW, H_out * W_out)
        out[n] = (w.reshape(F, -1) @ cols_n).reshape(F, H_out, W_out) + b[:, None, None]
    cache = (x, w, b, conv_param, all_cols.reshape(C * HH * WW, N * H_out * W_out))
    return out, cache
