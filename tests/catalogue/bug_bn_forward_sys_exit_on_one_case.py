"""batchnorm_forward calls sys.exit() on a batch of 2 (a debugging leftover).

SystemExit is an exception like any other here: that case fails with its
message, and so do its backwards (they need its cache); nothing else.
"""

import numpy as np

TARGET = "norm"
FUNCTIONS = ("batchnorm_forward",)
KIND = "bug"
LOSES = ("batchnorm_forward",)
ALSO_AFFECTS = ("batchnorm_backward", "batchnorm_backward_alt")
EXPECT = {"batchnorm_forward": "SystemExit"}


def batchnorm_forward(x, gamma, beta, bn_param):
    import sys

    if x.shape[0] == 2:
        sys.exit("stop here")
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    D = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(D))
    running_var = bn_param.get("running_var", np.zeros(D))
    if mode == "train":
        mu = x.mean(axis=0)
        xc = x - mu
        var = np.mean(xc**2, axis=0)
        std = np.sqrt(var + eps)
        inv_std = 1.0 / std
        x_hat = xc * inv_std
        out = gamma * x_hat + beta
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mu
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
        cache = (x_hat, xc, var, std, inv_std, gamma, eps)
    else:
        inv_std = 1.0 / np.sqrt(running_var + eps)
        x_hat = (x - running_mean) * inv_std
        out = gamma * x_hat + beta
        cache = (x_hat, inv_std, gamma, eps)
    return out, cache
