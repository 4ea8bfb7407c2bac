"""batchnorm_forward that updates the running averages in place (SPEC accepts both ways).

When bn_param has none yet, it stores fresh zero arrays first and updates those.
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
    running_mean = bn_param.setdefault("running_mean", np.zeros(D))
    running_var = bn_param.setdefault("running_var", np.zeros(D))
    if mode == "train":
        mu = x.mean(axis=0)
        xc = x - mu
        var = (xc**2).mean(axis=0)
        std = np.sqrt(var + eps)
        inv_std = 1 / std
        x_hat = xc * inv_std
        running_mean *= momentum
        running_mean += (1 - momentum) * mu
        running_var *= momentum
        running_var += (1 - momentum) * var
        return gamma * x_hat + beta, (x_hat, xc, var, std, inv_std, gamma, eps)
    if mode == "test":
        return gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta, None
    raise ValueError(mode)
