"""Batch norm as layer norm of the transpose: the batch of one feature is one 'sample' of x.T.

Forward and both backwards go through layernorm_forward / layernorm_backward
(with unit scale and zero shift) and apply gamma and beta themselves; the
alternative backward does not call batchnorm_backward.
"""

import numpy as np

TARGET = "norm"
FUNCTIONS = ("batchnorm_forward", "batchnorm_backward", "batchnorm_backward_alt")
KIND = "correct"


def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    N, D = x.shape
    if mode == "train":
        x_hat_t, ln_cache = layernorm_forward(x.T, np.ones(N), np.zeros(N), {"eps": eps})
        x_hat = x_hat_t.T
        mu = x.mean(axis=0)
        var = x.var(axis=0)
        for key, value in (("running_mean", mu), ("running_var", var)):
            old = bn_param.get(key, np.zeros(D))
            bn_param[key] = momentum * old + (1 - momentum) * value
        return gamma * x_hat + beta, (ln_cache, x_hat, gamma)
    if mode == "test":
        x_hat = (x - bn_param.get("running_mean", np.zeros(D))) / np.sqrt(
            bn_param.get("running_var", np.zeros(D)) + eps
        )
        return gamma * x_hat + beta, None
    raise ValueError("unknown mode " + str(mode))


def batchnorm_backward(dout, cache):
    ln_cache, x_hat, gamma = cache
    dx_t, _, _ = layernorm_backward((dout * gamma).T, ln_cache)
    return dx_t.T, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


def batchnorm_backward_alt(dout, cache):
    ln_cache, x_hat, gamma = cache
    dx_t = layernorm_backward(dout.T * gamma[:, None], ln_cache)[0]
    return np.ascontiguousarray(dx_t.T), np.einsum("nd,nd->d", dout, x_hat), dout.sum(axis=0)
