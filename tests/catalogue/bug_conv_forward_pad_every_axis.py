"""conv_forward_naive pads with np.pad(x, pad), which pads N and C too, not only H and W.

Right at pad 0; with pad > 0 the padded array has C + 2 pad channels and the
window no longer lines up with the filter (ValueError from broadcasting).
"""

import numpy as np

TARGET = "conv"
FUNCTIONS = ("conv_forward_naive",)
KIND = "bug"
LOSES = ("conv_forward_naive",)
ALSO_AFFECTS = ("conv_backward_naive",)
EXPECT = {"conv_forward_naive": "raised ValueError: operands could not be broadcast"}


def conv_forward_naive(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    x_pad = np.pad(x, pad, mode="constant")
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    window = x_pad[n, :, i * stride : i * stride + HH, j * stride : j * stride + WW]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    cache = (x, w, b, conv_param)
    return out, cache
