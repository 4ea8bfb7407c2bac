"""batchnorm_forward with the variance as E[x^2] - E[x]^2 (one pass over the data).

Cancellation loses digits when the mean is large against the spread: the
tiny-variance hidden case (offset up to 2, spread 1e-3, eps 1e-3) is where
this is closest to the tolerance (see docs/THRESHOLDS.md).
"""

import numpy as np

TARGET = "norm"
FUNCTIONS = ("batchnorm_forward",)
KIND = "correct"


def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    N, D = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(D))
    running_var = bn_param.get("running_var", np.zeros(D))
    if mode == "train":
        mu = np.mean(x, axis=0)
        var = np.mean(x * x, axis=0) - mu * mu
        std = np.sqrt(var + eps)
        inv_std = 1.0 / std
        xc = x - mu
        x_hat = xc * inv_std
        out = gamma * x_hat + beta
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mu
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
        cache = (x_hat, xc, var, std, inv_std, gamma, eps)
    elif mode == "test":
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
        cache = None
    else:
        raise ValueError(mode)
    return out, cache
