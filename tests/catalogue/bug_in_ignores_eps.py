"""instancenorm_forward always uses eps = 1e-5, ignoring in_param['eps'].

Only a case with a non-default eps (and small variance, where eps matters) shows it.
"""

import numpy as np

TARGET = "norm"
FUNCTIONS = ("instancenorm_forward",)
KIND = "bug"
LOSES = ("instancenorm_forward",)
ALSO_AFFECTS = ("instancenorm_backward",)
EXPECT = {"instancenorm_forward": "eps 0.001"}


def instancenorm_forward(x, gamma, beta, in_param):
    eps = 1e-5
    mu = x.mean(axis=(2, 3), keepdims=True)
    xc = x - mu
    var = np.mean(xc**2, axis=(2, 3), keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = xc * inv_std
    out = gamma.reshape(1, -1, 1, 1) * x_hat + beta.reshape(1, -1, 1, 1)
    cache = (x_hat, inv_std, gamma)
    return out, cache
