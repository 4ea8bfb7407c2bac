"""Fast conv with as_strided windows and plain np.einsum (no optimize), forward and backward.

The backward builds dx from the windows' gradient with one loop over the
filter taps (HH x WW), which SPEC allows.
"""

import numpy as np

TARGET = "conv"
FUNCTIONS = ("conv_forward_fast", "conv_backward_fast")
KIND = "correct"


def conv_forward_fast(x, w, b, conv_param):
    from numpy.lib.stride_tricks import as_strided

    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    x_pad = np.ascontiguousarray(np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad))))
    sn, sc, sh, sw = x_pad.strides
    windows = as_strided(
        x_pad, shape=(N, C, H_out, W_out, HH, WW), strides=(sn, sc, sh * stride, sw * stride, sh, sw), writeable=False
    )
    out = np.einsum("nchwuv,fcuv->nfhw", windows, w) + b.reshape(1, F, 1, 1)
    return out, (x, w, b, conv_param, windows.copy())


def conv_backward_fast(dout, cache):
    x, w, b, conv_param, windows = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    db = np.einsum("nfhw->f", dout)
    dw = np.einsum("nfhw,nchwuv->fcuv", dout, windows)
    dwindows = np.einsum("nfhw,fcuv->nchwuv", dout, w)
    dx_pad = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    for u in range(HH):
        for v in range(WW):
            dx_pad[:, :, u : u + stride * H_out : stride, v : v + stride * W_out : stride] += dwindows[..., u, v]
    return dx_pad[:, :, pad : pad + H, pad : pad + W].copy(), dw, db
