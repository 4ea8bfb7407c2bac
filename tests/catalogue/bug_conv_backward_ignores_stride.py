"""conv_backward_naive places each window at (i, j) instead of (i * stride, j * stride).

Right at stride 1, wrong whenever the stride is 2 or 3 (dx and dw).
"""

import numpy as np

TARGET = "conv"
FUNCTIONS = ("conv_backward_naive",)
KIND = "bug"
LOSES = ("conv_backward_naive",)


def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    pad = conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    db = np.zeros_like(b)
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    db[f] += dout[n, f, i, j]
                    dw[f] += dout[n, f, i, j] * x_pad[n, :, i : i + HH, j : j + WW]
                    dx_pad[n, :, i : i + HH, j : j + WW] += dout[n, f, i, j] * w[f]
    dx = dx_pad[:, :, pad : pad + H, pad : pad + W]
    return dx, dw, db
