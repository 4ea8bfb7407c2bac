"""spatial_batchnorm_backward reshapes dout to (N*H*W, C) without the transpose its forward did."""

import numpy as np

TARGET = "norm"
FUNCTIONS = ("spatial_batchnorm_backward",)
KIND = "bug"
LOSES = ("spatial_batchnorm_backward",)


def spatial_batchnorm_backward(dout, cache):
    bn_cache, (N, C, H, W) = cache
    dx_rows, dgamma, dbeta = batchnorm_backward_alt(dout.reshape(N * H * W, C), bn_cache)
    dx = dx_rows.reshape(N, C, H, W)
    return dx, dgamma, dbeta
