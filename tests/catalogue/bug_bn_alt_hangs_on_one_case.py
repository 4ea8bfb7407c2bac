"""batchnorm_backward_alt never returns on a batch of 7 (an infinite loop).

It is stopped at the rubric's call_seconds and not run again; the forward and
batchnorm_backward keep every point.
"""

import numpy as np

TARGET = "norm"
FUNCTIONS = ("batchnorm_backward_alt",)
KIND = "bug"
CRASHES = True
LOSES = ("batchnorm_backward_alt",)
EXPECT = {"batchnorm_backward_alt": "did not finish within"}


def batchnorm_backward_alt(dout, cache):
    x_hat, inv_std, gamma = cache[0], cache[4], cache[5]
    while dout.shape[0] == 7:
        pass
    N = dout.shape[0]
    dgamma = np.sum(dout * x_hat, axis=0)
    dbeta = np.sum(dout, axis=0)
    dx_hat = dout * gamma
    dx = inv_std / N * (N * dx_hat - dx_hat.sum(axis=0) - x_hat * np.sum(dx_hat * x_hat, axis=0))
    return dx, dgamma, dbeta
