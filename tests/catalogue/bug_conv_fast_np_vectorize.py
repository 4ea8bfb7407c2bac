"""conv_forward_fast computes every output element with np.vectorize over (n, f, i, j) indices.

np.vectorize reads like vectorized code but calls a Python function once per
element: a loop over N, H' and W' (and F).
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

    def element(n, f, i, j):
        window = x_pad[n, :, i * stride : i * stride + HH, j * stride : j * stride + WW]
        return np.sum(window * w[f]) + b[f]

    n, f, i, j = np.meshgrid(np.arange(N), np.arange(F), np.arange(H_out), np.arange(W_out), indexing="ij")
    out = np.vectorize(element, otypes=[np.float64])(n, f, i, j)
    cols = np.empty((C, HH, WW, N, H_out, W_out))
    for u in range(HH):
        for v in range(WW):
            cols[:, u, v] = x_pad[:, :, u : u + stride * H_out : stride, v : v + stride * W_out : stride].transpose(
                1, 0, 2, 3
            )
    cache = (x, w, b, conv_param, cols.reshape(C * HH * WW, N * H_out * W_out))
    return out, cache
