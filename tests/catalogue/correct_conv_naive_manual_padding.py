"""Naive conv padding by hand (a zero array and a slice assignment) instead of np.pad, forward and backward."""

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
    x_pad = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    x_pad[:, :, pad : pad + H, pad : pad + W] = x
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    r, s = i * stride, j * stride
                    out[n, f, i, j] = np.sum(x_pad[n, :, r : r + HH, s : s + WW] * w[f]) + b[f]
    return out, (x, w, b, conv_param)


def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    x_pad = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    x_pad[:, :, pad : pad + H, pad : pad + W] = x
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    db = np.zeros_like(b)
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    r, s = i * stride, j * stride
                    db[f] += dout[n, f, i, j]
                    dw[f] += dout[n, f, i, j] * x_pad[n, :, r : r + HH, s : s + WW]
                    dx_pad[n, :, r : r + HH, s : s + WW] += dout[n, f, i, j] * w[f]
    dx = dx_pad[:, :, pad : H + pad, pad : W + pad].copy()
    return dx, dw, db
