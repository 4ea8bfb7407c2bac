"""spatial_groupnorm_forward assumes gamma and beta of shape (C,) and reshapes them with [:, None, None].

With SPEC's (1, C, 1, 1) that makes them (1, 1, 1, C, 1, 1), and the output
(1, 1, N, C, H, W): right values, wrong shape (so numerical gradients of this
forward cannot be taken either).
"""

import numpy as np

TARGET = "norm"
FUNCTIONS = ("spatial_groupnorm_forward",)
KIND = "bug"
LOSES = ("spatial_groupnorm_forward",)
EXPECT = {"spatial_groupnorm_forward": "out: values right, shape (1, 1, 2, 6, 3, 4) where (2, 6, 3, 4) is expected."}


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    eps = gn_param.get("eps", 1e-5)
    N, C, H, W = x.shape
    xg = x.reshape(N, G, -1)
    mu = xg.mean(axis=2, keepdims=True)
    xc = xg - mu
    var = np.mean(xc**2, axis=2, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (xc * inv_std).reshape(N, C, H, W)
    out = gamma[:, None, None] * x_hat + beta[:, None, None]
    cache = (x_hat, inv_std, gamma, G)
    return out, cache
