"""conv_forward_fast loops over the output rows: vectorized over N, F and W' only.

Right values; SPEC says no Python loop over H'. The vectorization check sees
the loop body run once more per extra output row.
"""

import numpy as np

TARGET = "conv"
FUNCTIONS = ("conv_forward_fast",)
KIND = "bug"
LOSES = ("conv_forward_fast",)
EXPECT = {"conv_forward_fast": "a Python loop over H'"}
CATEGORIES = ("vectorized",)


def conv_forward_fast(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    # The reference's patch matrix (its backward reads it from the cache), built per tap.
    cols = np.empty((C, HH, WW, N, H_out, W_out))
    for u in range(HH):
        for v in range(WW):
            cols[:, u, v] = x_pad[:, :, u : u + stride * H_out : stride, v : v + stride * W_out : stride].transpose(
                1, 0, 2, 3
            )
    out = np.empty((N, F, H_out, W_out))
    for i in range(H_out):
        # row[c, u, v, n, j] = x_pad[n, c, i*stride + u, j*stride + v]
        row = cols[:, :, :, :, i, :]
        out[:, :, i, :] = np.einsum("cuvnj,fcuv->nfj", row, w) + b[None, :, None]
    cache = (x, w, b, conv_param, cols.reshape(C * HH * WW, N * H_out * W_out))
    return out, cache
