"""batchnorm_forward normalizes with the batch's own statistics in test mode too."""

import numpy as np

TARGET = "norm"
FUNCTIONS = ("batchnorm_forward",)
KIND = "bug"
LOSES = ("batchnorm_forward",)
ALSO_AFFECTS = ("spatial_batchnorm_forward",)
EXPECT = {"batchnorm_forward": "test-mode output: out: error"}


def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    N, D = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(D))
    running_var = bn_param.get("running_var", np.zeros(D))
    mu = x.mean(axis=0)
    xc = x - mu
    var = np.mean(xc**2, axis=0)
    std = np.sqrt(var + eps)
    inv_std = 1.0 / std
    x_hat = xc * inv_std
    out = gamma * x_hat + beta
    if mode == "train":
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mu
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
    cache = (x_hat, xc, var, std, inv_std, gamma, eps)
    return out, cache
