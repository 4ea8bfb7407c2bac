"""layernorm_forward with the variance as E[x^2] - E[x]^2 per sample."""

import numpy as np

TARGET = "norm"
FUNCTIONS = ("layernorm_forward",)
KIND = "correct"


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    mu = np.mean(x, axis=1, keepdims=True)
    var = np.mean(np.square(x), axis=1, keepdims=True) - np.square(mu)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * inv_std
    out = x_hat * gamma + beta
    return out, (x_hat, inv_std, gamma)
