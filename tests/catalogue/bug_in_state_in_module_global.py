"""instancenorm_forward leaves its intermediates in a module-level variable; the backward reads them from there.

The cache it returns is None. Right whenever each backward follows its own
forward; wrong as soon as another forward call runs in between.
"""

import numpy as np

TARGET = "norm"
FUNCTIONS = ("instancenorm_forward", "instancenorm_backward")
KIND = "bug"
LOSES = ("instancenorm_forward",)
EXPECT = {"instancenorm_forward": "not in module-level variables"}
CATEGORIES = ("purity",)


def instancenorm_forward(x, gamma, beta, in_param):
    eps = in_param.get("eps", 1e-5)
    mu = x.mean(axis=(2, 3), keepdims=True)
    xc = x - mu
    inv_std = 1.0 / np.sqrt(np.mean(xc**2, axis=(2, 3), keepdims=True) + eps)
    globals()["_last"] = (xc * inv_std, inv_std, gamma)
    return gamma.reshape(1, -1, 1, 1) * globals()["_last"][0] + beta.reshape(1, -1, 1, 1), None


def instancenorm_backward(dout, cache):
    x_hat, inv_std, gamma = globals()["_last"]
    N, C, H, W = dout.shape
    M = H * W
    dbeta = dout.sum(axis=(0, 2, 3))
    dgamma = np.sum(dout * x_hat, axis=(0, 2, 3))
    dx_hat = dout * gamma.reshape(1, C, 1, 1)
    dx = (inv_std / M) * (
        M * dx_hat - dx_hat.sum(axis=(2, 3), keepdims=True) - x_hat * np.sum(dx_hat * x_hat, axis=(2, 3), keepdims=True)
    )
    return dx, dgamma, dbeta
