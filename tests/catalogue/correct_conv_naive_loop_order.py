"""Naive conv with the loops in another order: filters outermost, samples innermost; the backward by taps."""

import numpy as np

TARGET = "conv"
FUNCTIONS = ("conv_forward_naive", "conv_backward_naive")
KIND = "correct"


def conv_forward_naive(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.empty((N, F, H_out, W_out))
    for f in range(F):
        for j in range(W_out):
            for i in range(H_out):
                for n in range(N):
                    window = x_pad[n, :, i * stride : i * stride + HH, j * stride : j * stride + WW]
                    out[n, f, i, j] = b[f] + np.sum(w[f] * window)
    return out, (x, w, b, conv_param)


def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    db = dout.sum(axis=(0, 2, 3))
    # For each filter tap (u, v): out[n, f, i, j] used x_pad[n, c, i*s + u, j*s + v].
    for u in range(HH):
        for v in range(WW):
            patch = x_pad[:, :, u : u + stride * H_out : stride, v : v + stride * W_out : stride]
            for f in range(F):
                for c in range(C):
                    dw[f, c, u, v] = np.sum(dout[:, f] * patch[:, c])
                    dx_pad[:, c, u : u + stride * H_out : stride, v : v + stride * W_out : stride] += (
                        w[f, c, u, v] * dout[:, f]
                    )
    dx = dx_pad[:, :, pad : pad + H, pad : pad + W].copy()
    return dx, dw, db
