"""batchnorm_backward_alt in the textbook form: gamma / (N std) * (N dout - sum(dout) - x_hat sum(dout x_hat))."""

import numpy as np

TARGET = "norm"
FUNCTIONS = ("batchnorm_backward_alt",)
KIND = "correct"


def batchnorm_backward_alt(dout, cache):
    x_hat, xc, var, std, inv_std, gamma, eps = cache
    N = dout.shape[0]
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx = gamma / (N * std) * (N * dout - dbeta - x_hat * dgamma)
    return dx, dgamma, dbeta
