"""batchnorm_backward scales dout by gamma in place (dx_hat = dout; dx_hat *= gamma).

Its gradients are right (dbeta and dgamma are taken before); the caller's dout is damaged.
"""

import numpy as np

TARGET = "norm"
FUNCTIONS = ("batchnorm_backward",)
KIND = "bug"
LOSES = ("batchnorm_backward",)
EXPECT = {"batchnorm_backward": "batchnorm_backward modified its input dout in place"}


def batchnorm_backward(dout, cache):
    x_hat, xc, var, std, inv_std, gamma, eps = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx_hat = dout
    dx_hat *= gamma
    dvar = np.sum(dx_hat * xc, axis=0) * -0.5 * inv_std**3
    dmu = -np.sum(dx_hat * inv_std, axis=0) - 2.0 * dvar * np.mean(xc, axis=0)
    dx = dx_hat * inv_std + dvar * 2.0 * xc / N + dmu / N
    return dx, dgamma, dbeta
