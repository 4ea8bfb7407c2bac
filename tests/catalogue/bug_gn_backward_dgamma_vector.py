"""spatial_groupnorm_backward returns dgamma and dbeta of shape (C,) instead of (1, C, 1, 1)."""

import numpy as np

TARGET = "norm"
FUNCTIONS = ("spatial_groupnorm_backward",)
KIND = "bug"
LOSES = ("spatial_groupnorm_backward",)
EXPECT = {"spatial_groupnorm_backward": "dgamma: values right, shape (6,) where (1, 6, 1, 1) is expected."}


def spatial_groupnorm_backward(dout, cache):
    x_hat, inv_std, gamma, G = cache
    N, C, H, W = dout.shape
    M = C // G * H * W
    dbeta = dout.sum(axis=(0, 2, 3))
    dgamma = np.sum(dout * x_hat, axis=(0, 2, 3))
    dx_hat = (dout * gamma).reshape(N, G, M)
    xg_hat = x_hat.reshape(N, G, M)
    dx = (
        inv_std
        / M
        * (M * dx_hat - dx_hat.sum(axis=2, keepdims=True) - xg_hat * np.sum(dx_hat * xg_hat, axis=2, keepdims=True))
    )
    return dx.reshape(N, C, H, W), dgamma, dbeta
