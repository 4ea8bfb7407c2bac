"""batchnorm_forward centres x in place (x -= mu), changing the caller's array.

Every value it returns is right; only the input is damaged.
"""

import numpy as np

TARGET = "norm"
FUNCTIONS = ("batchnorm_forward",)
KIND = "bug"
LOSES = ("batchnorm_forward",)
ALSO_AFFECTS = ("spatial_batchnorm_forward",)  # it calls batchnorm_forward on its x
EXPECT = {"batchnorm_forward": "batchnorm_forward modified its input x in place"}


def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    N, D = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(D))
    running_var = bn_param.get("running_var", np.zeros(D))
    if mode == "train":
        mu = x.mean(axis=0)
        x -= mu
        xc = x
        var = np.mean(xc**2, axis=0)
        std = np.sqrt(var + eps)
        inv_std = 1.0 / std
        x_hat = xc * inv_std
        out = gamma * x_hat + beta
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mu
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
        cache = (x_hat, xc.copy(), var, std, inv_std, gamma, eps)
    else:
        x_hat = (x - running_mean) / np.sqrt(running_var + eps)
        out = gamma * x_hat + beta
        cache = None
    return out, cache
