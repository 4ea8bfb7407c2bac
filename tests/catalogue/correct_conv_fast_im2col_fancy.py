"""The textbook fast conv: im2col by fancy indexing, col2im with np.add.at, einsum without optimize.

Index arrays (channel, row, column) pick every patch at once; the backward
scatters the patch gradients back with np.add.at, which accumulates where
windows overlap. Several times slower than the reference, and fully
vectorized: no Python loop at all.
"""

import numpy as np

TARGET = "conv"
FUNCTIONS = ("conv_forward_fast", "conv_backward_fast")
KIND = "correct"


def conv_forward_fast(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    k = np.repeat(np.arange(C), HH * WW).reshape(-1, 1)
    i = np.tile(np.repeat(np.arange(HH), WW), C).reshape(-1, 1) + stride * np.repeat(np.arange(H_out), W_out).reshape(
        1, -1
    )
    j = np.tile(np.arange(WW), HH * C).reshape(-1, 1) + stride * np.tile(np.arange(W_out), H_out).reshape(1, -1)
    cols = x_pad[:, k, i, j]  # (N, C*HH*WW, H'*W')
    out = np.einsum("fk,nkp->nfp", w.reshape(F, -1), cols) + b.reshape(1, F, 1)
    return out.reshape(N, F, H_out, W_out), (x, w, b, conv_param, cols, (k, i, j))


def conv_backward_fast(dout, cache):
    x, w, b, conv_param, cols, (k, i, j) = cache
    pad = conv_param["pad"]
    N, C, H, W = x.shape
    F = w.shape[0]
    dout_flat = dout.reshape(N, F, -1)
    db = dout_flat.sum(axis=(0, 2))
    dw = np.einsum("nfp,nkp->fk", dout_flat, cols).reshape(w.shape)
    dcols = np.einsum("fk,nfp->nkp", w.reshape(F, -1), dout_flat)
    dx_pad = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    np.add.at(dx_pad, (slice(None), k, i, j), dcols)
    return dx_pad[:, :, pad : pad + H, pad : pad + W], dw, db
