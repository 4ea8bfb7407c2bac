"""batchnorm_backward that leaves out the variance's path into the mean, which sums to zero.

dvar * d(var)/d(mu) = dvar * mean(-2 (x - mu)) is zero in exact arithmetic,
so dmu is taken from the direct path alone; in floating point it differs from
the reference only by rounding.
"""

import numpy as np

TARGET = "norm"
FUNCTIONS = ("batchnorm_backward",)
KIND = "correct"


def batchnorm_backward(dout, cache):
    x_hat, xc, var, std, inv_std, gamma, eps = cache
    N = dout.shape[0]
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx_hat = dout * gamma
    dvar = -0.5 * np.sum(dx_hat * xc, axis=0) * (var + eps) ** -1.5
    dmu = -np.sum(dx_hat, axis=0) / std
    dx = dx_hat / std + dvar * 2.0 * xc / N + dmu / N
    return dx, dgamma, dbeta
