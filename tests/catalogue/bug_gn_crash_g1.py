"""spatial_groupnorm_forward squeezes the grouped array, which drops the group axis at G = 1.

(and the sample axis at N = 1): the mean over axis 2 then raises AxisError.
"""

import numpy as np

TARGET = "norm"
FUNCTIONS = ("spatial_groupnorm_forward",)
KIND = "bug"
LOSES = ("spatial_groupnorm_forward",)
ALSO_AFFECTS = ("spatial_groupnorm_backward",)
EXPECT = {"spatial_groupnorm_forward": "raised AxisError"}


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    eps = gn_param.get("eps", 1e-5)
    N, C, H, W = x.shape
    xg = np.squeeze(x.reshape(N, G, -1))
    mu = xg.mean(axis=2, keepdims=True)
    xc = xg - mu
    var = np.mean(xc**2, axis=2, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (xc * inv_std).reshape(N, C, H, W)
    out = gamma * x_hat + beta
    cache = (x_hat, inv_std, gamma, G)
    return out, cache
