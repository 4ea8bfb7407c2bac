"""spatial_batchnorm_forward reshapes x to (N*H*W, C) without moving C last first.

Each "channel" column then mixes channels and pixels: the statistics are not
per channel. Its backward (unchanged) undoes a transpose this forward never
did, so it is wrong too.
"""

import numpy as np

TARGET = "norm"
FUNCTIONS = ("spatial_batchnorm_forward",)
KIND = "bug"
LOSES = ("spatial_batchnorm_forward",)
ALSO_AFFECTS = ("spatial_batchnorm_backward",)


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    N, C, H, W = x.shape
    out_rows, bn_cache = batchnorm_forward(x.reshape(N * H * W, C), gamma, beta, bn_param)
    out = out_rows.reshape(N, C, H, W)
    cache = (bn_cache, x.shape)
    return out, cache
