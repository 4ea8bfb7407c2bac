"""layernorm_backward step by step through the graph (mean, centring, variance, scaling), per sample."""

import numpy as np

TARGET = "norm"
FUNCTIONS = ("layernorm_backward",)
KIND = "correct"


def layernorm_backward(dout, cache):
    x_hat, inv_std, gamma = cache
    D = dout.shape[1]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    # x_hat = xc * inv_std, with xc = x_hat / inv_std.
    xc = x_hat / inv_std
    dxc = dx_hat * inv_std
    dinv_std = np.sum(dx_hat * xc, axis=1, keepdims=True)
    dvar = dinv_std * -0.5 * inv_std**3
    dxc += 2.0 * xc * dvar / D
    dx = dxc - dxc.mean(axis=1, keepdims=True)
    return dx, dgamma, dbeta
