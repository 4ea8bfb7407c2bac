"""layernorm_backward returns dgamma and dbeta with shape (1, D) (sum with keepdims=True)."""

import numpy as np

TARGET = "norm"
FUNCTIONS = ("layernorm_backward",)
KIND = "bug"
LOSES = ("layernorm_backward",)
EXPECT = {"layernorm_backward": "dgamma: values right, shape (1, 8) where (8,) is expected."}


def layernorm_backward(dout, cache):
    x_hat, inv_std, gamma = cache
    D = dout.shape[1]
    dbeta = dout.sum(axis=0, keepdims=True)
    dgamma = np.sum(dout * x_hat, axis=0, keepdims=True)
    dx_hat = dout * gamma
    dx = (
        inv_std
        / D
        * (D * dx_hat - dx_hat.sum(axis=1, keepdims=True) - x_hat * np.sum(dx_hat * x_hat, axis=1, keepdims=True))
    )
    return dx, dgamma, dbeta
