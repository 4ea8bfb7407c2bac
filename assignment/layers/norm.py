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
    # YOUR CODE HERE
    raise NotImplementedError
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
    # YOUR CODE HERE
    raise NotImplementedError
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
    # YOUR CODE HERE
    raise NotImplementedError
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
    # YOUR CODE HERE
    raise NotImplementedError
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
    # YOUR CODE HERE
    raise NotImplementedError
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
    # YOUR CODE HERE
    raise NotImplementedError
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
    # YOUR CODE HERE
    raise NotImplementedError
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
    # YOUR CODE HERE
    raise NotImplementedError
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
    # YOUR CODE HERE
    raise NotImplementedError
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
    # YOUR CODE HERE
    raise NotImplementedError
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
    # YOUR CODE HERE
    raise NotImplementedError
    return dx, dgamma, dbeta
