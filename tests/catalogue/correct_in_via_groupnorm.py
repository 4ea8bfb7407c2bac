"""Instance norm as group norm with one channel per group (G = C), forward and backward."""

import numpy as np

TARGET = "norm"
FUNCTIONS = ("instancenorm_forward", "instancenorm_backward")
KIND = "correct"


def instancenorm_forward(x, gamma, beta, in_param):
    C = x.shape[1]
    return spatial_groupnorm_forward(
        x, gamma.reshape(1, C, 1, 1), beta.reshape(1, C, 1, 1), C, {"eps": in_param.get("eps", 1e-5)}
    )


def instancenorm_backward(dout, cache):
    dx, dgamma, dbeta = spatial_groupnorm_backward(dout, cache)
    return dx, dgamma.reshape(-1), dbeta.reshape(-1)
