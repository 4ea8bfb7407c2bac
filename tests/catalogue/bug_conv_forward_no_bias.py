"""conv_forward_naive forgets the bias.

The cache is right, so its backward still matches the reference and keeps
every point (db no longer matches numerical gradients of this forward, whose
output ignores b, but a backward that matches the reference is credited).
"""

import numpy as np

TARGET = "conv"
FUNCTIONS = ("conv_forward_naive",)
KIND = "bug"
LOSES = ("conv_forward_naive",)
EXPECT = {"conv_forward_naive": "out: error"}


def conv_forward_naive(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    window = x_pad[n, :, i * stride : i * stride + HH, j * stride : j * stride + WW]
                    out[n, f, i, j] = np.sum(window * w[f])
    cache = (x, w, b, conv_param)
    return out, cache
