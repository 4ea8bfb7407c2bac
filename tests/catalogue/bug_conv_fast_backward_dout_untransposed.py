"""conv_backward_fast reshapes dout to (F, N*H'*W') without moving F to the front first.

The columns no longer line up with the patch matrix's (n, i, j) order: dw,
db and dx are all wrong (db only happens to be right for N = 1).
"""

import numpy as np

TARGET = "conv"
FUNCTIONS = ("conv_backward_fast",)
KIND = "bug"
LOSES = ("conv_backward_fast",)


def conv_backward_fast(dout, cache):
    x, w, b, conv_param, cols = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    dout_mat = dout.reshape(F, -1)
    db = dout_mat.sum(axis=1)
    dw = (dout_mat @ cols.T).reshape(w.shape)
    dcols = (w.reshape(F, -1).T @ dout_mat).reshape(C, HH, WW, N, H_out, W_out)
    dx_pad = np.zeros((C, N, H + 2 * pad, W + 2 * pad))
    for u in range(HH):
        for v in range(WW):
            dx_pad[:, :, u : u + stride * H_out : stride, v : v + stride * W_out : stride] += dcols[:, u, v]
    dx = dx_pad[:, :, pad : pad + H, pad : pad + W].transpose(1, 0, 2, 3).copy()
    return dx, dw, db
