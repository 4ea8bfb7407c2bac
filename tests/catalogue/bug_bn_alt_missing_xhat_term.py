"""batchnorm_backward_alt drops the x_hat * sum(dout * x_hat) term of the closed form.

spatial_batchnorm_backward goes through this function, so it is wrong too.
"""

import numpy as np

TARGET = "norm"
FUNCTIONS = ("batchnorm_backward_alt",)
KIND = "bug"
LOSES = ("batchnorm_backward_alt",)
ALSO_AFFECTS = ("spatial_batchnorm_backward",)
EXPECT = {"batchnorm_backward_alt": "dx: error"}


def batchnorm_backward_alt(dout, cache):
    x_hat, _, _, _, inv_std, gamma, _ = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx = gamma * inv_std / N * (N * dout - dbeta)
    return dx, dgamma, dbeta
