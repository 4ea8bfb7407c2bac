"""instancenorm_forward takes its statistics over the channels (axis 1) instead of over H and W."""

import numpy as np

TARGET = "norm"
FUNCTIONS = ("instancenorm_forward",)
KIND = "bug"
LOSES = ("instancenorm_forward",)
ALSO_AFFECTS = ("instancenorm_backward",)


def instancenorm_forward(x, gamma, beta, in_param):
    eps = in_param.get("eps", 1e-5)
    mu = x.mean(axis=1, keepdims=True)
    xc = x - mu
    var = np.mean(xc**2, axis=1, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = xc * inv_std
    out = gamma.reshape(1, -1, 1, 1) * x_hat + beta.reshape(1, -1, 1, 1)
    cache = (x_hat, inv_std, gamma)
    return out, cache
