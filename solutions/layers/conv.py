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
    ### BEGIN SOLUTION
    stride = conv_param["stride"]
    pad = conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride

    # np.pad returns a new array, so x itself is left untouched.
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")

    out = np.zeros((N, F, H_out, W_out), dtype=np.float64)
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                top = i * stride
                for j in range(W_out):
                    left = j * stride
                    window = x_pad[n, :, top : top + HH, left : left + WW]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]

    cache = (x, w, b, conv_param)
    ### END SOLUTION
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
    ### BEGIN SOLUTION
    x, w, b, conv_param = cache
    stride = conv_param["stride"]
    pad = conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape

    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    dx_pad = np.zeros(x_pad.shape, dtype=np.float64)
    dw = np.zeros(w.shape, dtype=np.float64)
    db = np.zeros(b.shape, dtype=np.float64)

    # Every output value out[n, f, i, j] was made from one window of x_pad and
    # filter f; send its gradient back to both, and to the bias.
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                top = i * stride
                for j in range(W_out):
                    left = j * stride
                    g = dout[n, f, i, j]
                    db[f] += g
                    dw[f] += g * x_pad[n, :, top : top + HH, left : left + WW]
                    dx_pad[n, :, top : top + HH, left : left + WW] += g * w[f]

    # The padding is not part of the input: drop its gradient.
    dx = dx_pad[:, :, pad : pad + H, pad : pad + W].copy()
    ### END SOLUTION
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
    ### BEGIN SOLUTION
    stride = conv_param["stride"]
    pad = conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride

    # Zero-padded copy of the input, channels first: (C, N, H + 2p, W + 2p).
    # With C outermost, the patch matrix below gets its rows in (c, u, v)
    # order and its columns in (n, i, j) order without a further transpose.
    x_pad = np.zeros((C, N, H + 2 * pad, W + 2 * pad), dtype=np.float64)
    x_pad[:, :, pad : pad + H, pad : pad + W] = x.transpose(1, 0, 2, 3)

    # Patch matrix ("im2col"): cols[c, u, v, n, i, j] =
    # x_pad[c, n, i * stride + u, j * stride + v]. One strided copy per filter
    # tap (u, v); each copies a whole (C, N, H', W') block at once.
    cols = np.empty((C, HH, WW, N, H_out, W_out), dtype=np.float64)
    for u in range(HH):
        rows = slice(u, u + stride * H_out, stride)
        for v in range(WW):
            columns = slice(v, v + stride * W_out, stride)
            cols[:, u, v] = x_pad[:, :, rows, columns]
    cols = cols.reshape(C * HH * WW, N * H_out * W_out)

    # One matrix product: (F, C*HH*WW) @ (C*HH*WW, N*H'*W').
    out = w.reshape(F, C * HH * WW) @ cols
    out += b.reshape(F, 1)
    out = np.ascontiguousarray(out.reshape(F, N, H_out, W_out).transpose(1, 0, 2, 3))

    cache = (x, w, b, conv_param, cols)
    ### END SOLUTION
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
    ### BEGIN SOLUTION
    x, w, b, conv_param, cols = cache
    stride = conv_param["stride"]
    pad = conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape

    # Upstream gradient as a (F, N*H'*W') matrix, columns in (n, i, j) order
    # like the columns of the patch matrix.
    dout_mat = dout.transpose(1, 0, 2, 3).reshape(F, N * H_out * W_out)

    db = dout_mat.sum(axis=1)
    dw = (dout_mat @ cols.T).reshape(F, C, HH, WW)

    # dx: the gradient of the patch matrix is w_mat.T @ dout_mat, and each of
    # its blocks is added back where im2col read it from ("col2im"); windows
    # overlap, hence the accumulation. Rather than building that whole
    # (C*HH*WW, N*H'*W') matrix at once, take one filter row u at a time:
    # rows (c, u, v) for all c, v of it, in a buffer reused for every u.
    w_rows = w.transpose(2, 1, 3, 0).reshape(HH, C * WW, F)  # [u] = rows (c, v)
    dcols_u = np.empty((C * WW, N * H_out * W_out), dtype=np.float64)
    blocks = dcols_u.reshape(C, WW, N, H_out, W_out)
    dx_pad = np.zeros((C, N, H + 2 * pad, W + 2 * pad), dtype=np.float64)
    for u in range(HH):
        np.matmul(w_rows[u], dout_mat, out=dcols_u)
        rows = slice(u, u + stride * H_out, stride)
        for v in range(WW):
            columns = slice(v, v + stride * W_out, stride)
            dx_pad[:, :, rows, columns] += blocks[:, v]

    dx = np.ascontiguousarray(dx_pad[:, :, pad : pad + H, pad : pad + W].transpose(1, 0, 2, 3))
    ### END SOLUTION
    return dx, dw, db
