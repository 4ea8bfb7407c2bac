"""Fast conv by shift-and-add: one tensordot per filter tap (u, v), no patch matrix.

Loops over HH and WW only, which SPEC allows: their count does not grow with
N, H' or W'.
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
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, F, H_out, W_out))
    for u in range(HH):
        for v in range(WW):
            shifted = x_pad[:, :, u : u + stride * H_out : stride, v : v + stride * W_out : stride]
            out += np.tensordot(shifted, w[:, :, u, v], axes=([1], [1])).transpose(0, 3, 1, 2)
    out += b.reshape(1, F, 1, 1)
    return out, (x_pad, w, b, conv_param, x.shape)


def conv_backward_fast(dout, cache):
    x_pad, w, b, conv_param, x_shape = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x_shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    db = dout.sum(axis=(0, 2, 3))
    dw = np.empty_like(w)
    dx_pad = np.zeros_like(x_pad)
    for u in range(HH):
        for v in range(WW):
            rows, columns = slice(u, u + stride * H_out, stride), slice(v, v + stride * W_out, stride)
            dw[:, :, u, v] = np.tensordot(dout, x_pad[:, :, rows, columns], axes=([0, 2, 3], [0, 2, 3]))
            dx_pad[:, :, rows, columns] += np.tensordot(dout, w[:, :, u, v], axes=([1], [0])).transpose(0, 3, 1, 2)
    return dx_pad[:, :, pad : pad + H, pad : pad + W].copy(), dw, db
