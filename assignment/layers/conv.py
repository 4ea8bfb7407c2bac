"""Convolutional layer: forward and backward passes.

All arrays are float64 numpy arrays. Shapes use these letters:

    N   number of samples in the minibatch
    C   input channels
    H,W input height and width
    F   number of filters (output channels)
    HH,WW filter height and width
    H', W' output height and width:
        H' = 1 + (H + 2 * pad - HH) // stride
        W' = 1 + (W + 2 * pad - WW) // stride

The layer computes a cross-correlation (the filter is not flipped) of the
zero-padded input with each filter, plus a per-filter bias:

    out[n, f, i, j] = b[f] + sum_{c, u, v} w[f, c, u, v]
                             * xpad[n, c, i * stride + u, j * stride + v]

No function here modifies the arrays it is given.
"""

import numpy as np


def conv_forward_naive(x, w, b, conv_param):
    """Forward pass of a convolutional layer, written with explicit loops.

    Inputs:
    - x: input data, shape (N, C, H, W)
    - w: filter weights, shape (F, C, HH, WW)
    - b: biases, shape (F,)
    - conv_param: dict with
      - 'stride': int, step between neighbouring receptive fields in both
        the vertical and the horizontal direction
      - 'pad': int, number of zero rows/columns added on each side of the
        input along H and W

    Returns a tuple of:
    - out: output data, shape (N, F, H', W') with
      H' = 1 + (H + 2 * pad - HH) // stride and W' = 1 + (W + 2 * pad - WW) // stride
    - cache: tuple of the values conv_backward_naive needs
    """
    # YOUR CODE HERE
    raise NotImplementedError
    return out, cache


def conv_backward_naive(dout, cache):
    """Backward pass of a convolutional layer, written with explicit loops.

    Inputs:
    - dout: upstream gradient dL/dout, shape (N, F, H', W')
    - cache: tuple returned by conv_forward_naive

    Returns a tuple of:
    - dx: gradient with respect to x, shape (N, C, H, W)
    - dw: gradient with respect to w, shape (F, C, HH, WW)
    - db: gradient with respect to b, shape (F,)
    """
    # YOUR CODE HERE
    raise NotImplementedError
    return dx, dw, db


def conv_forward_fast(x, w, b, conv_param):
    """Vectorized forward pass of a convolutional layer (same result as
    conv_forward_naive).

    Inputs:
    - x: input data, shape (N, C, H, W)
    - w: filter weights, shape (F, C, HH, WW)
    - b: biases, shape (F,)
    - conv_param: dict with 'stride' (int) and 'pad' (int), as for
      conv_forward_naive

    Returns a tuple of:
    - out: output data, shape (N, F, H', W')
    - cache: tuple of the values conv_backward_fast needs
    """
    # YOUR CODE HERE
    raise NotImplementedError
    return out, cache


def conv_backward_fast(dout, cache):
    """Vectorized backward pass of a convolutional layer.

    Inputs:
    - dout: upstream gradient dL/dout, shape (N, F, H', W')
    - cache: tuple returned by conv_forward_fast

    Returns a tuple of:
    - dx: gradient with respect to x, shape (N, C, H, W)
    - dw: gradient with respect to w, shape (F, C, HH, WW)
    - db: gradient with respect to b, shape (F,)
    """
    # YOUR CODE HERE
    raise NotImplementedError
    return dx, dw, db
