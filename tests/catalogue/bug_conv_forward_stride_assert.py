"""conv_forward_naive asserts that the stride divides H + 2 pad - HH evenly.

SPEC: it need not (floor, as in the formula); the hidden cases where it does
not raise AssertionError.
"""

import numpy as np

TARGET = "conv"
FUNCTIONS = ("conv_forward_naive",)
KIND = "bug"
LOSES = ("conv_forward_naive",)
# Its backward's tests need this forward's cache (and its output, for the
# numerical check): where the forward raised, there is nothing to check.
ALSO_AFFECTS = ("conv_backward_naive",)
EXPECT = {"conv_forward_naive": "raised AssertionError: stride does not divide"}


def conv_forward_naive(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    assert (H + 2 * pad - HH) % stride == 0, "stride does not divide the height"
    assert (W + 2 * pad - WW) % stride == 0, "stride does not divide the width"
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    window = x_pad[n, :, i * stride : i * stride + HH, j * stride : j * stride + WW]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    cache = (x, w, b, conv_param)
    return out, cache
