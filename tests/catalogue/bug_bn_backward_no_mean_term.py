"""batchnorm_backward forgets that the mean depends on x: no dmu / N term."""

import numpy as np

TARGET = "norm"
FUNCTIONS = ("batchnorm_backward",)
KIND = "bug"
LOSES = ("batchnorm_backward",)


def batchnorm_backward(dout, cache):
    x_hat, xc, var, std, inv_std, gamma, eps = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx_hat = dout * gamma
    dvar = np.sum(dx_hat * xc, axis=0) * -0.5 * inv_std**3
    dx = dx_hat * inv_std + dvar * 2.0 * xc / N
    return dx, dgamma, dbeta
