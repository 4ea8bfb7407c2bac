"""Fast conv with sliding_window_view and einsum (forward and backward), no patch matrix.

The cache holds the strided window view of the padded input instead of the
reference's patch matrix; the backward adds each filter tap's share back with
one einsum per tap.
"""

import numpy as np

TARGET = "conv"
FUNCTIONS = ("conv_forward_fast", "conv_backward_fast")
KIND = "correct"


def conv_forward_fast(x, w, b, conv_param):
    from numpy.lib.stride_tricks import sliding_window_view

    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    # windows[n, c, i, j, u, v] = x_pad[n, c, i * stride + u, j * stride + v]
    windows = sliding_window_view(x_pad, (HH, WW), axis=(2, 3))[:, :, ::stride, ::stride][:, :, :H_out, :W_out]
    out = np.einsum("nchwuv,fcuv->nfhw", windows, w, optimize=True) + b.reshape(1, F, 1, 1)
    cache = (x, w, b, conv_param, windows)
    return out, cache


def conv_backward_fast(dout, cache):
    x, w, b, conv_param, windows = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    db = dout.sum(axis=(0, 2, 3))
    dw = np.einsum("nfhw,nchwuv->fcuv", dout, windows, optimize=True)
    dx_pad = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    for u in range(HH):
        for v in range(WW):
            share = np.einsum("nfhw,fc->nchw", dout, w[:, :, u, v], optimize=True)
            dx_pad[:, :, u : u + stride * H_out : stride, v : v + stride * W_out : stride] += share
    dx = dx_pad[:, :, pad : pad + H, pad : pad + W].copy()
    return dx, dw, db
