"""layernorm_forward adds eps outside the square root: (x - mu) / (sqrt(var) + eps).

Off by about eps / (2 var) relative for ordinary inputs, by far more for the
tiny-variance case with eps 1e-3.
"""

import numpy as np

TARGET = "norm"
FUNCTIONS = ("layernorm_forward",)
KIND = "bug"
LOSES = ("layernorm_forward",)
ALSO_AFFECTS = ("layernorm_backward",)


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    mu = x.mean(axis=1, keepdims=True)
    xc = x - mu
    var = np.mean(xc**2, axis=1, keepdims=True)
    inv_std = 1.0 / (np.sqrt(var) + eps)
    x_hat = xc * inv_std
    out = gamma * x_hat + beta
    cache = (x_hat, inv_std, gamma)
    return out, cache
