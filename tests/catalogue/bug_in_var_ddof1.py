"""instancenorm_forward uses the unbiased variance, np.var(..., ddof=1).

SPEC: the variance is always the biased one (divide by the count).
"""

import numpy as np

TARGET = "norm"
FUNCTIONS = ("instancenorm_forward",)
KIND = "bug"
LOSES = ("instancenorm_forward",)
ALSO_AFFECTS = ("instancenorm_backward",)


def instancenorm_forward(x, gamma, beta, in_param):
    eps = in_param.get("eps", 1e-5)
    N, C, H, W = x.shape
    mu = x.mean(axis=(2, 3), keepdims=True)
    var = x.reshape(N, C, H * W).var(axis=2, ddof=1).reshape(N, C, 1, 1)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * inv_std
    out = gamma.reshape(1, -1, 1, 1) * x_hat + beta.reshape(1, -1, 1, 1)
    cache = (x_hat, inv_std, gamma)
    return out, cache
