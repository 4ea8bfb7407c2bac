"""Spatial batch norm with np.moveaxis, whose backward goes through the step-by-step batchnorm_backward."""

import numpy as np

TARGET = "norm"
FUNCTIONS = ("spatial_batchnorm_forward", "spatial_batchnorm_backward")
KIND = "correct"


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    C = x.shape[1]
    moved = np.moveaxis(x, 1, -1)
    out_rows, bn_cache = batchnorm_forward(moved.reshape(-1, C), gamma, beta, bn_param)
    out = np.moveaxis(out_rows.reshape(moved.shape), -1, 1)
    return out, (bn_cache, moved.shape)


def spatial_batchnorm_backward(dout, cache):
    bn_cache, moved_shape = cache
    C = dout.shape[1]
    dx_rows, dgamma, dbeta = batchnorm_backward(np.moveaxis(dout, 1, -1).reshape(-1, C), bn_cache)
    dx = np.moveaxis(dx_rows.reshape(moved_shape), -1, 1)
    return dx, dgamma, dbeta
