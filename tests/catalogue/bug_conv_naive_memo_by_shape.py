"""conv_forward_naive remembers its output per input shape (a module-level memo) and returns it again.

Right on the first call of every shape, so every hidden case passes; a second
call on new inputs of a shape it has seen returns the old output.
"""

import numpy as np

TARGET = "conv"
FUNCTIONS = ("conv_forward_naive",)
KIND = "bug"
LOSES = ("conv_forward_naive",)
EXPECT = {"conv_forward_naive": "remember results"}
CATEGORIES = ("purity",)


def conv_forward_naive(x, w, b, conv_param):
    memo = globals().setdefault("_outputs_by_shape", {})
    key = (x.shape, w.shape, conv_param["stride"], conv_param["pad"])
    if key not in memo:
        stride, pad = conv_param["stride"], conv_param["pad"]
        N, C, H, W = x.shape
        F, _, HH, WW = w.shape
        H_out = 1 + (H + 2 * pad - HH) // stride
        W_out = 1 + (W + 2 * pad - WW) // stride
        x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        out = np.zeros((N, F, H_out, W_out))
        for n in range(N):
            for f in range(F):
                for i in range(H_out):
                    for j in range(W_out):
                        window = x_pad[n, :, i * stride : i * stride + HH, j * stride : j * stride + WW]
                        out[n, f, i, j] = np.sum(window * w[f]) + b[f]
        memo[key] = out
    return memo[key].copy(), (x, w, b, conv_param)
