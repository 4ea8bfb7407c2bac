"""layernorm_forward centres x in place (x -= mu), changing the caller's array.

Every value it returns is right. SPEC: no function modifies the arrays it is given.
"""

import numpy as np

TARGET = "norm"
FUNCTIONS = ("layernorm_forward",)
KIND = "bug"
LOSES = ("layernorm_forward",)
EXPECT = {"layernorm_forward": "layernorm_forward modified its input x in place"}


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    x -= x.mean(axis=1, keepdims=True)
    var = np.mean(x**2, axis=1, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = x * inv_std
    out = gamma * x_hat + beta
    cache = (x_hat, inv_std, gamma)
    return out, cache
