"""spatial_groupnorm_forward averages over the group's channels only, not over H and W too.

One mean and variance per sample, group and pixel.
"""

import numpy as np

TARGET = "norm"
FUNCTIONS = ("spatial_groupnorm_forward",)
KIND = "bug"
LOSES = ("spatial_groupnorm_forward",)
ALSO_AFFECTS = ("spatial_groupnorm_backward",)


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    eps = gn_param.get("eps", 1e-5)
    N, C, H, W = x.shape
    xg = x.reshape(N, G, C // G, H, W)
    mu = xg.mean(axis=2, keepdims=True)
    xc = xg - mu
    var = np.mean(xc**2, axis=2, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (xc * inv_std).reshape(N, C, H, W)
    out = gamma * x_hat + beta
    cache = (x_hat, inv_std, gamma, G)
    return out, cache
