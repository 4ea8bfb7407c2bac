"""batchnorm_backward that scales the cached x_hat in place while computing dgamma.

`weighted = x_hat; weighted *= dout` is meant as a copy but is the cached
array itself. Its own gradients are right (it does not use x_hat again), and
SPEC allows it: the cache is opaque and not one of the arrays a function must
leave alone. The grader must therefore give batchnorm_backward_alt, which
takes the cache of the same forward call next, an unchanged copy (worker.py
deep-copies a cache for every backward call); before it did, this variant
cost the reference's batchnorm_backward_alt all its points.
"""

import numpy as np

TARGET = "norm"
FUNCTIONS = ("batchnorm_backward",)
KIND = "correct"


def batchnorm_backward(dout, cache):
    x_hat, xc, var, std, inv_std, gamma, eps = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    weighted = x_hat
    weighted *= dout
    dgamma = weighted.sum(axis=0)
    dx_hat = dout * gamma
    dxc = dx_hat * inv_std
    dvar = -0.5 * np.sum(dx_hat * xc, axis=0) * inv_std**3
    dxc += 2.0 * xc * dvar / N
    dx = dxc - dxc.mean(axis=0)
    return dx, dgamma, dbeta
