"""layernorm_forward ends its process on a batch of one sample (os._exit(3)).

That case's tests fail (and its backward, which needs the forward's cache);
every other case runs in a fresh process and keeps its points.
"""

import numpy as np

TARGET = "norm"
FUNCTIONS = ("layernorm_forward",)
KIND = "bug"
CRASHES = True
LOSES = ("layernorm_forward",)
ALSO_AFFECTS = ("layernorm_backward",)
EXPECT = {"layernorm_forward": "exited with code 3"}


def layernorm_forward(x, gamma, beta, ln_param):
    import os

    if x.shape[0] == 1:
        os._exit(3)
    eps = ln_param.get("eps", 1e-5)
    mu = x.mean(axis=1, keepdims=True)
    xc = x - mu
    var = np.mean(xc**2, axis=1, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = xc * inv_std
    return gamma * x_hat + beta, (x_hat, inv_std, gamma)
