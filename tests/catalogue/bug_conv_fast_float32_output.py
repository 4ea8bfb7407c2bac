"""conv_forward_fast returns its output as float32 (e.g. to save memory).

SPEC: every returned array is float64. The values are right to float32
precision, which is within the forward tolerance: only the dtype is wrong.
"""

import numpy as np

TARGET = "conv"
FUNCTIONS = ("conv_forward_fast",)
KIND = "bug"
LOSES = ("conv_forward_fast",)
# Its backward (unchanged) keeps every point: its gradients match the reference, which is
# credited whatever its own forward does (no double jeopardy).
EXPECT = {"conv_forward_fast": "out: dtype float32 where float64 is expected (values right)."}


def conv_forward_fast(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    x_pad = np.zeros((C, N, H + 2 * pad, W + 2 * pad))
    x_pad[:, :, pad : pad + H, pad : pad + W] = x.transpose(1, 0, 2, 3)
    cols = np.empty((C, HH, WW, N, H_out, W_out))
    for u in range(HH):
        for v in range(WW):
            cols[:, u, v] = x_pad[:, :, u : u + stride * H_out : stride, v : v + stride * W_out : stride]
    cols = cols.reshape(C * HH * WW, N * H_out * W_out)
    out = w.reshape(F, -1) @ cols + b.reshape(F, 1)
    out = out.reshape(F, N, H_out, W_out).transpose(1, 0, 2, 3).astype(np.float32)
    cache = (x, w, b, conv_param, cols)
    return out, cache
