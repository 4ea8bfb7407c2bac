"""conv_backward_naive drops the padding's gradient with [pad:-pad].

At pad 0 the slice [0:-0] is empty, so dx comes back with shape (N, C, 0, 0).
"""

import numpy as np

TARGET = "conv"
FUNCTIONS = ("conv_backward_naive",)
KIND = "bug"
LOSES = ("conv_backward_naive",)
EXPECT = {"conv_backward_naive": "dx: shape (3, 1, 0, 0) where (3, 1, 4, 6) is expected."}


def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
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
                    top, left = i * stride, j * stride
                    db[f] += dout[n, f, i, j]
                    dw[f] += dout[n, f, i, j] * x_pad[n, :, top : top + HH, left : left + WW]
                    dx_pad[n, :, top : top + HH, left : left + WW] += dout[n, f, i, j] * w[f]
    dx = dx_pad[:, :, pad:-pad, pad:-pad]
    return dx, dw, db
