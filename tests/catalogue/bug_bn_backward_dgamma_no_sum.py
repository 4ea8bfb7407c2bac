"""batchnorm_backward returns dgamma = dout * x_hat without summing over the batch: shape (N, D)."""

import numpy as np

TARGET = "norm"
FUNCTIONS = ("batchnorm_backward",)
KIND = "bug"
LOSES = ("batchnorm_backward",)
EXPECT = {"batchnorm_backward": "dgamma: shape (4, 5) where (5,) is expected."}


def batchnorm_backward(dout, cache):
    x_hat, xc, var, std, inv_std, gamma, eps = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = dout * x_hat
    dx_hat = dout * gamma
    dvar = np.sum(dx_hat * xc, axis=0) * -0.5 * inv_std**3
    dmu = -np.sum(dx_hat * inv_std, axis=0) - 2.0 * dvar * np.mean(xc, axis=0)
    dx = dx_hat * inv_std + dvar * 2.0 * xc / N + dmu / N
    return dx, dgamma, dbeta
