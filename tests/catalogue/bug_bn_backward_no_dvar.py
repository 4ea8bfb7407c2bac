"""batchnorm_backward forgets the path through the variance (treats std as a constant)."""

import numpy as np

TARGET = "norm"
FUNCTIONS = ("batchnorm_backward",)
KIND = "bug"
LOSES = ("batchnorm_backward",)
EXPECT = {"batchnorm_backward": "dx: error"}


def batchnorm_backward(dout, cache):
    x_hat, xc, var, std, inv_std, gamma, eps = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dxc = dout * gamma * inv_std
    dmu = -np.sum(dxc, axis=0)
    dx = dxc + dmu / N
    return dx, dgamma, dbeta
