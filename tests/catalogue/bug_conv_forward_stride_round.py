"""conv_forward_naive computes H' and W' with int(round(...)) instead of floor division.

Where (H + 2 pad - HH) / stride is not a whole number the output gets an extra
row or column (round half to even: 1.5 -> 2, 2.5 -> 2), read partly past the edge.
"""

import numpy as np

TARGET = "conv"
FUNCTIONS = ("conv_forward_naive",)
KIND = "bug"
LOSES = ("conv_forward_naive",)
# Its backward (unchanged) keeps every point: its gradients match the reference, which is
# credited whatever its own forward does (no double jeopardy).
EXPECT = {"conv_forward_naive": "out: shape (2, 4, 3, 3) where (2, 4, 3, 2) is expected."}


def conv_forward_naive(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + int(round((H + 2 * pad - HH) / stride))
    W_out = 1 + int(round((W + 2 * pad - WW) / stride))
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    window = x_pad[n, :, i * stride : i * stride + HH, j * stride : j * stride + WW]
                    # A window cut short by the edge: only its part inside counts.
                    out[n, f, i, j] = np.sum(window * w[f, :, : window.shape[1], : window.shape[2]]) + b[f]
    cache = (x, w, b, conv_param)
    return out, cache
