"""spatial_groupnorm_forward with one row per (sample, group): x.reshape(N * G, -1)."""

import numpy as np

TARGET = "norm"
FUNCTIONS = ("spatial_groupnorm_forward",)
KIND = "correct"


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    eps = gn_param.get("eps", 1e-5)
    N, C, H, W = x.shape
    rows = x.reshape(N * G, -1)
    mu = rows.mean(axis=1, keepdims=True)
    var = rows.var(axis=1, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = ((rows - mu) * inv_std).reshape(N, C, H, W)
    out = x_hat * gamma + beta
    return out, (x_hat, inv_std.reshape(N, G, 1), gamma, G)
