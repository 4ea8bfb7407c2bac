"""spatial_groupnorm_forward returns its output as a 7-d array (N, G, C//G, H, W, 1, 1).

The values are right, the shape is not; its backward (the reference's) is
right and must keep every point: a right backward never pays for its
forward's mistake.
"""

import numpy as np

TARGET = "norm"
FUNCTIONS = ("spatial_groupnorm_forward",)
KIND = "bug"
LOSES = ("spatial_groupnorm_forward",)
EXPECT = {"spatial_groupnorm_forward": "values right, shape"}


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    eps = gn_param.get("eps", 1e-5)
    N, C, H, W = x.shape
    xg = x.reshape(N, G, (C // G) * H * W)
    mu = xg.mean(axis=2, keepdims=True)
    xc = xg - mu
    inv_std = 1.0 / np.sqrt(np.mean(xc**2, axis=2, keepdims=True) + eps)
    x_hat = (xc * inv_std).reshape(N, C, H, W)
    out = (gamma * x_hat + beta).reshape(N, G, C // G, H, W, 1, 1)
    return out, (x_hat, inv_std, gamma, G)
