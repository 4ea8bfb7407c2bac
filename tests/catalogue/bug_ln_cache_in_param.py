"""layernorm_forward keeps its intermediates in ln_param and returns that dict as its cache.

Right outputs and gradients when each forward is followed by its backward;
a second forward with the same ln_param (what a training loop or a
numerical check does) overwrites the first call's cache.
"""

import numpy as np

TARGET = "norm"
FUNCTIONS = ("layernorm_forward", "layernorm_backward")
KIND = "bug"
LOSES = ("layernorm_forward",)
EXPECT = {"layernorm_forward": "gradients changed when layernorm_forward was called a second time"}
CATEGORIES = ("purity",)


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    mu = x.mean(axis=1, keepdims=True)
    xc = x - mu
    inv_std = 1.0 / np.sqrt(np.mean(xc**2, axis=1, keepdims=True) + eps)
    ln_param["x_hat"] = xc * inv_std
    ln_param["inv_std"] = inv_std
    ln_param["gamma"] = gamma
    return gamma * ln_param["x_hat"] + beta, ln_param


def layernorm_backward(dout, cache):
    x_hat, inv_std, gamma = cache["x_hat"], cache["inv_std"], cache["gamma"]
    D = dout.shape[1]
    dgamma = np.sum(dout * x_hat, axis=0)
    dbeta = np.sum(dout, axis=0)
    dx_hat = dout * gamma
    dx = (
        inv_std
        / D
        * (D * dx_hat - dx_hat.sum(axis=1, keepdims=True) - x_hat * np.sum(dx_hat * x_hat, axis=1, keepdims=True))
    )
    return dx, dgamma, dbeta
