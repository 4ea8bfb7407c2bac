"""Fast conv with Python loops over the filters F and the channels C (vectorized over N, H', W').

SPEC forbids loops over N, H' and W' only; a loop over F or C does the same
number of iterations whatever the batch or image size.
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
    windows = sliding_window_view(x_pad, (HH, WW), axis=(2, 3))[:, :, ::stride, ::stride][:, :, :H_out, :W_out]
    out = np.empty((N, F, H_out, W_out))
    for f in range(F):
        total = np.full((N, H_out, W_out), b[f])
        for c in range(C):
            total += np.einsum("nhwuv,uv->nhw", windows[:, c], w[f, c])
        out[:, f] = total
    return out, (x, w, b, conv_param)


def conv_backward_fast(dout, cache):
    from numpy.lib.stride_tricks import sliding_window_view

    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = sliding_window_view(x_pad, (HH, WW), axis=(2, 3))[:, :, ::stride, ::stride][:, :, :H_out, :W_out]
    db = dout.sum(axis=(0, 2, 3))
    dw = np.empty_like(w)
    dx_pad = np.zeros_like(x_pad)
    for f in range(F):
        dw[f] = np.einsum("nhw,nchwuv->cuv", dout[:, f], windows)
        for u in range(HH):
            for v in range(WW):
                rows, columns = slice(u, u + stride * H_out, stride), slice(v, v + stride * W_out, stride)
                dx_pad[:, :, rows, columns] += dout[:, f, None] * w[f, :, u, v].reshape(1, C, 1, 1)
    return dx_pad[:, :, pad : pad + H, pad : pad + W].copy(), dw, db
