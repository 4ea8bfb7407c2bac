"""spatial_groupnorm_forward splits the channels as (C // G, G): group g gets channels g, g + G, g + 2G, ...

SPEC: a group is C // G contiguous channels. Same thing at G = 1 and G = C,
wrong in between.
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
    xg = x.reshape(N, C // G, G, H, W)
    mu = xg.mean(axis=(1, 3, 4), keepdims=True)
    xc = xg - mu
    var = np.mean(xc**2, axis=(1, 3, 4), keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (xc * inv_std).reshape(N, C, H, W)
    out = gamma * x_hat + beta
    cache = (x_hat, inv_std.reshape(N, G, 1), gamma, G)
    return out, cache
