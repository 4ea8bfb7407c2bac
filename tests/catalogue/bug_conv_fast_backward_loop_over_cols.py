"""conv_backward_fast scatters dx back one output column at a time.

Right gradients; SPEC says no Python loop over W'. The vectorization check
sees the loop body run once more per extra output column.
"""

import numpy as np

TARGET = "conv"
FUNCTIONS = ("conv_backward_fast",)
KIND = "bug"
LOSES = ("conv_backward_fast",)
EXPECT = {"conv_backward_fast": "a Python loop over W'"}
CATEGORIES = ("vectorized",)


def conv_backward_fast(dout, cache):
    x, w, b, conv_param, cols = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    dout_mat = dout.transpose(1, 0, 2, 3).reshape(F, -1)
    db = dout_mat.sum(axis=1)
    dw = (dout_mat @ cols.T).reshape(F, C, HH, WW)
    dx_pad = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    for j in range(W_out):
        # share[n, c, i, u, v]: the gradient that column j of the output sends back
        share = np.einsum("nfi,fcuv->nciuv", dout[:, :, :, j], w)
        for u in range(HH):
            rows = slice(u, u + stride * H_out, stride)
            dx_pad[:, :, rows, j * stride : j * stride + WW] += share[:, :, :, u, :]
    return dx_pad[:, :, pad : pad + H, pad : pad + W].copy(), dw, db
