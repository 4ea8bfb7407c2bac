"""Normalization layers: batch, spatial batch, layer, group and instance
normalization, forward and backward passes.

All arrays are float64 numpy arrays. In every layer the input is normalized
with a mean and a biased variance (divide by the number of values), eps is
added to the variance inside the square root, and the result is scaled by
gamma and shifted by beta:

    x_hat = (x - mean) / sqrt(var + eps)
    out   = gamma * x_hat + beta

The layers differ only in which values share one mean and variance. No
function here modifies the arrays it is given.
"""

import numpy as np


def batchnorm_forward(x, gamma, beta, bn_param):
    """Forward pass of batch normalization.

    In train mode the minibatch mean and biased variance of every feature are
    used to normalize, and exponentially decaying running averages of them are
    kept in bn_param:

        running_mean = momentum * running_mean + (1 - momentum) * batch_mean
        running_var  = momentum * running_var  + (1 - momentum) * batch_var

    In test mode the running averages are used instead, and bn_param is left
    as it was.

    Inputs:
    - x: data, shape (N, D)
    - gamma: scale, shape (D,)
    - beta: shift, shape (D,)
    - bn_param: dict with
      - 'mode': 'train' or 'test' (required)
      - 'eps': float added to the variance, default 1e-5
      - 'momentum': float, default 0.9
      - 'running_mean': shape (D,), zeros when absent
      - 'running_var': shape (D,), zeros when absent
      After a train-mode call, 'running_mean' and 'running_var' hold the
      updated statistics (new arrays of shape (D,)).

    Returns a tuple of:
    - out: shape (N, D)
    - cache: tuple of values needed by the backward pass (train mode)
    """
    ### BEGIN SOLUTION
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    N, D = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=np.float64))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=np.float64))

    if mode == "train":
        mu = x.mean(axis=0)
        xc = x - mu
        var = np.mean(xc**2, axis=0)
        std = np.sqrt(var + eps)
        inv_std = 1.0 / std
        x_hat = xc * inv_std
        out = gamma * x_hat + beta

        # New arrays: the caller's running-stat arrays are not written to.
        bn_param["running_mean"] = np.asarray(momentum * running_mean + (1 - momentum) * mu, dtype=np.float64)
        bn_param["running_var"] = np.asarray(momentum * running_var + (1 - momentum) * var, dtype=np.float64)

        cache = (x_hat, xc, var, std, inv_std, gamma, eps)
    elif mode == "test":
        inv_std = 1.0 / np.sqrt(running_var + eps)
        x_hat = (x - running_mean) * inv_std
        out = gamma * x_hat + beta
        cache = (x_hat, inv_std, gamma, eps)
    else:
        raise ValueError('Invalid forward batchnorm mode "%s"' % mode)
    out = np.asarray(out, dtype=np.float64)
    ### END SOLUTION
    return out, cache


def batchnorm_backward(dout, cache):
    """Backward pass of batch normalization, step by step through the
    computation graph of the train-mode forward pass:

        mu = mean(x)            xc = x - mu          sq = xc ** 2
        var = mean(sq)          std = sqrt(var + eps) inv_std = 1 / std
        x_hat = xc * inv_std    out = gamma * x_hat + beta

    Inputs:
    - dout: upstream gradient dL/dout, shape (N, D)
    - cache: tuple from a train-mode batchnorm_forward

    Returns a tuple of:
    - dx: gradient with respect to x, shape (N, D)
    - dgamma: gradient with respect to gamma, shape (D,)
    - dbeta: gradient with respect to beta, shape (D,)
    """
    ### BEGIN SOLUTION
    x_hat, xc, var, std, inv_std, gamma, eps = cache
    N = dout.shape[0]

    # out = gamma * x_hat + beta
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx_hat = dout * gamma

    # x_hat = xc * inv_std: xc gets one share here, inv_std sums over rows.
    dxc = dx_hat * inv_std
    dinv_std = np.sum(dx_hat * xc, axis=0)

    # inv_std = 1 / std
    dstd = -dinv_std / std**2

    # std = sqrt(var + eps)
    dvar = 0.5 * dstd / std

    # var = mean(sq): every sq[n] gets dvar / N.
    dsq = np.ones_like(xc) * (dvar / N)

    # sq = xc ** 2: the second share of xc.
    dxc = dxc + 2.0 * xc * dsq

    # xc = x - mu
    dmu = -np.sum(dxc, axis=0)

    # mu = mean(x): every x[n] gets dmu / N, plus the direct path through xc.
    dx = dxc + np.ones_like(dxc) * (dmu / N)
    ### END SOLUTION
    return dx, dgamma, dbeta


def batchnorm_backward_alt(dout, cache):
    """Backward pass of batch normalization from a simplified closed form of
    dx, worked out on paper instead of node by node through the graph. Same
    result as batchnorm_backward.

    Inputs:
    - dout: upstream gradient dL/dout, shape (N, D)
    - cache: tuple from a train-mode batchnorm_forward

    Returns a tuple of:
    - dx: shape (N, D)
    - dgamma: shape (D,)
    - dbeta: shape (D,)
    """
    ### BEGIN SOLUTION
    x_hat, _, _, _, inv_std, gamma, _ = cache
    N = dout.shape[0]

    # Column sums as a matrix-vector product: dout.sum(axis=0) up to
    # rounding, from BLAS, which is quicker on small batches.
    dbeta = np.ones(N) @ dout
    dgamma = np.einsum("nd,nd->d", dout, x_hat)  # sum(dout * x_hat), no temporary

    # dx = gamma * inv_std * (dout - (x_hat * dgamma + dbeta) / N), computed
    # in place in one new array: four passes over (N, D) values.
    dx = x_hat * (dgamma / N)
    dx += dbeta / N
    np.subtract(dout, dx, out=dx)
    dx *= gamma * inv_std
    ### END SOLUTION
    return dx, dgamma, dbeta


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    """Forward pass of spatial batch normalization: batch normalization with
    one mean and variance per channel, over all of N, H and W.

    Inputs:
    - x: data, shape (N, C, H, W)
    - gamma: scale, shape (C,)
    - beta: shift, shape (C,)
    - bn_param: dict as for batchnorm_forward ('mode' required; 'eps',
      'momentum', 'running_mean' and 'running_var' optional); running
      statistics have shape (C,)

    Returns a tuple of:
    - out: shape (N, C, H, W)
    - cache: tuple of values needed by the backward pass
    """
    ### BEGIN SOLUTION
    N, C, H, W = x.shape
    # Rows are (n, h, w) positions, columns are channels.
    x_rows = x.transpose(0, 2, 3, 1).reshape(N * H * W, C)
    out_rows, bn_cache = batchnorm_forward(x_rows, gamma, beta, bn_param)
    out = np.ascontiguousarray(out_rows.reshape(N, H, W, C).transpose(0, 3, 1, 2))
    cache = (bn_cache, x.shape)
    ### END SOLUTION
    return out, cache


def spatial_batchnorm_backward(dout, cache):
    """Backward pass of spatial batch normalization.

    Inputs:
    - dout: upstream gradient, shape (N, C, H, W)
    - cache: tuple from a train-mode spatial_batchnorm_forward

    Returns a tuple of:
    - dx: shape (N, C, H, W)
    - dgamma: shape (C,)
    - dbeta: shape (C,)
    """
    ### BEGIN SOLUTION
    bn_cache, (N, C, H, W) = cache
    dout_rows = dout.transpose(0, 2, 3, 1).reshape(N * H * W, C)
    dx_rows, dgamma, dbeta = batchnorm_backward_alt(dout_rows, bn_cache)
    dx = np.ascontiguousarray(dx_rows.reshape(N, H, W, C).transpose(0, 3, 1, 2))
    ### END SOLUTION
    return dx, dgamma, dbeta


def layernorm_forward(x, gamma, beta, ln_param):
    """Forward pass of layer normalization: one mean and variance per
    sample, over its D features. Same computation in train and test.

    Inputs:
    - x: data, shape (N, D)
    - gamma: scale, shape (D,)
    - beta: shift, shape (D,)
    - ln_param: dict with optional 'eps' (default 1e-5)

    Returns a tuple of:
    - out: shape (N, D)
    - cache: tuple of values needed by the backward pass
    """
    ### BEGIN SOLUTION
    eps = ln_param.get("eps", 1e-5)
    mu = x.mean(axis=1, keepdims=True)
    xc = x - mu
    var = np.mean(xc**2, axis=1, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = xc * inv_std
    out = gamma * x_hat + beta
    cache = (x_hat, inv_std, gamma)
    ### END SOLUTION
    return out, cache


def layernorm_backward(dout, cache):
    """Backward pass of layer normalization.

    Inputs:
    - dout: upstream gradient, shape (N, D)
    - cache: tuple from layernorm_forward

    Returns a tuple of:
    - dx: shape (N, D)
    - dgamma: shape (D,)
    - dbeta: shape (D,)
    """
    ### BEGIN SOLUTION
    x_hat, inv_std, gamma = cache
    D = dout.shape[1]

    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)

    # Same closed form as batch normalization, with the sums taken over the
    # features of each sample instead of over the batch.
    dx_hat = dout * gamma
    dx = (inv_std / D) * (
        D * dx_hat - dx_hat.sum(axis=1, keepdims=True) - x_hat * np.sum(dx_hat * x_hat, axis=1, keepdims=True)
    )
    ### END SOLUTION
    return dx, dgamma, dbeta


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    """Forward pass of spatial group normalization: the C channels are split
    into G groups of C // G contiguous channels, and each sample's group gets
    one mean and variance over its (C // G, H, W) values.

    Inputs:
    - x: data, shape (N, C, H, W)
    - gamma: scale, shape (1, C, 1, 1)
    - beta: shift, shape (1, C, 1, 1)
    - G: int, number of groups; C must be divisible by G
    - gn_param: dict with optional 'eps' (default 1e-5)

    Returns a tuple of:
    - out: shape (N, C, H, W)
    - cache: tuple of values needed by the backward pass
    """
    ### BEGIN SOLUTION
    eps = gn_param.get("eps", 1e-5)
    N, C, H, W = x.shape
    # One row per (sample, group).
    xg = x.reshape(N, G, (C // G) * H * W)
    mu = xg.mean(axis=2, keepdims=True)
    xc = xg - mu
    var = np.mean(xc**2, axis=2, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (xc * inv_std).reshape(N, C, H, W)
    out = gamma * x_hat + beta
    cache = (x_hat, inv_std, gamma, G)
    ### END SOLUTION
    return out, cache


def spatial_groupnorm_backward(dout, cache):
    """Backward pass of spatial group normalization.

    Inputs:
    - dout: upstream gradient, shape (N, C, H, W)
    - cache: tuple from spatial_groupnorm_forward

    Returns a tuple of:
    - dx: shape (N, C, H, W)
    - dgamma: shape (1, C, 1, 1)
    - dbeta: shape (1, C, 1, 1)
    """
    ### BEGIN SOLUTION
    x_hat, inv_std, gamma, G = cache
    N, C, H, W = dout.shape
    M = (C // G) * H * W  # values per (sample, group)

    dbeta = dout.sum(axis=(0, 2, 3), keepdims=True)
    dgamma = np.sum(dout * x_hat, axis=(0, 2, 3), keepdims=True)

    dx_hat = (dout * gamma).reshape(N, G, M)
    xg_hat = x_hat.reshape(N, G, M)
    dx = (inv_std / M) * (
        M * dx_hat - dx_hat.sum(axis=2, keepdims=True) - xg_hat * np.sum(dx_hat * xg_hat, axis=2, keepdims=True)
    )
    dx = dx.reshape(N, C, H, W)
    ### END SOLUTION
    return dx, dgamma, dbeta


def instancenorm_forward(x, gamma, beta, in_param):
    """Forward pass of instance normalization: one mean and variance per
    sample and channel, over its (H, W) values.

    Inputs:
    - x: data, shape (N, C, H, W)
    - gamma: scale, shape (C,)
    - beta: shift, shape (C,)
    - in_param: dict with optional 'eps' (default 1e-5)

    Returns a tuple of:
    - out: shape (N, C, H, W)
    - cache: tuple of values needed by the backward pass
    """
    ### BEGIN SOLUTION
    eps = in_param.get("eps", 1e-5)
    mu = x.mean(axis=(2, 3), keepdims=True)
    xc = x - mu
    var = np.mean(xc**2, axis=(2, 3), keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = xc * inv_std
    out = gamma.reshape(1, -1, 1, 1) * x_hat + beta.reshape(1, -1, 1, 1)
    cache = (x_hat, inv_std, gamma)
    ### END SOLUTION
    return out, cache


def instancenorm_backward(dout, cache):
    """Backward pass of instance normalization.

    Inputs:
    - dout: upstream gradient, shape (N, C, H, W)
    - cache: tuple from instancenorm_forward

    Returns a tuple of:
    - dx: shape (N, C, H, W)
    - dgamma: shape (C,)
    - dbeta: shape (C,)
    """
    ### BEGIN SOLUTION
    x_hat, inv_std, gamma = cache
    N, C, H, W = dout.shape
    M = H * W  # values per (sample, channel)

    dbeta = dout.sum(axis=(0, 2, 3))
    dgamma = np.sum(dout * x_hat, axis=(0, 2, 3))

    dx_hat = dout * gamma.reshape(1, C, 1, 1)
    dx = (inv_std / M) * (
        M * dx_hat - dx_hat.sum(axis=(2, 3), keepdims=True) - x_hat * np.sum(dx_hat * x_hat, axis=(2, 3), keepdims=True)
    )
    ### END SOLUTION
    return dx, dgamma, dbeta
