"""Given layers: affine, ReLU, max pooling and the softmax loss.

This module is given code: students do not edit it and it is not graded. It
follows the same conventions as `layers/conv.py` and `layers/norm.py`:

* every array is a float64 numpy array (labels are integers);
* a forward function returns `(out, cache)`, and the matching backward
  function takes `(dout, cache)` and returns the gradient with respect to each
  input, in the order of the forward function's arguments;
* `cache` is a tuple that only the matching backward function reads;
* no function modifies the arrays it is given.
"""

import numpy as np


def affine_forward(x, w, b):
    """Fully connected layer: out = x.reshape(N, D) @ w + b.

    Inputs:
    - x: array of shape (N, d_1, ..., d_k); each sample is flattened to a row
      of length D = d_1 * ... * d_k.
    - w: weights, shape (D, M).
    - b: biases, shape (M,).

    Returns (out, cache):
    - out: shape (N, M).
    - cache: (x, w, b).
    """
    x_rows = x.reshape(x.shape[0], -1)
    out = x_rows @ w + b
    cache = (x, w, b)
    return out, cache


def affine_backward(dout, cache):
    """Backward pass of `affine_forward`.

    Inputs:
    - dout: upstream gradient, shape (N, M).
    - cache: (x, w, b) from `affine_forward`.

    Returns (dx, dw, db) with the shapes of x, w and b.
    """
    x, w, b = cache
    x_rows = x.reshape(x.shape[0], -1)
    dx = (dout @ w.T).reshape(x.shape)
    dw = x_rows.T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db


def relu_forward(x):
    """Rectified linear unit, elementwise: out = max(x, 0).

    Input x of any shape. Returns (out, cache) with out of x's shape and
    cache = (x,).
    """
    out = np.maximum(x, 0.0)
    cache = (x,)
    return out, cache


def relu_backward(dout, cache):
    """Backward pass of `relu_forward`: the gradient passes where x > 0.

    Returns dx, of the shape of dout.
    """
    (x,) = cache
    dx = np.where(x > 0, dout, 0.0)
    return dx


def _pool_geometry(x_shape, pool_param):
    """Output size of a pooling layer, checking that the windows fit."""
    _, _, H, W = x_shape
    ph = pool_param["pool_height"]
    pw = pool_param["pool_width"]
    stride = pool_param["stride"]
    if ph > H or pw > W:
        raise ValueError(f"pool window {ph}x{pw} is larger than the input {H}x{W}")
    H_out = 1 + (H - ph) // stride
    W_out = 1 + (W - pw) // stride
    return ph, pw, stride, H_out, W_out


def max_pool_forward_naive(x, pool_param):
    """Max pooling with explicit loops; any window size and stride.

    Inputs:
    - x: shape (N, C, H, W).
    - pool_param: {'pool_height': int, 'pool_width': int, 'stride': int}.

    Returns (out, cache):
    - out: shape (N, C, H', W'), H' = 1 + (H - pool_height) // stride,
      W' = 1 + (W - pool_width) // stride.
    - cache: (x, pool_param).
    """
    N, C, _, _ = x.shape
    ph, pw, stride, H_out, W_out = _pool_geometry(x.shape, pool_param)
    out = np.empty((N, C, H_out, W_out), dtype=np.float64)
    for i in range(H_out):
        for j in range(W_out):
            window = x[:, :, i * stride : i * stride + ph, j * stride : j * stride + pw]
            out[:, :, i, j] = window.max(axis=(2, 3))
    cache = (x, pool_param)
    return out, cache


def max_pool_backward_naive(dout, cache):
    """Backward pass of `max_pool_forward_naive`.

    Each window's gradient goes to the first position (in row-major order)
    that holds the window's maximum. Returns dx of shape (N, C, H, W).
    """
    x, pool_param = cache
    N, C, _, _ = x.shape
    ph, pw, stride, H_out, W_out = _pool_geometry(x.shape, pool_param)
    dx = np.zeros_like(x, dtype=np.float64)
    n_idx, c_idx = np.meshgrid(np.arange(N), np.arange(C), indexing="ij")
    for i in range(H_out):
        for j in range(W_out):
            window = x[:, :, i * stride : i * stride + ph, j * stride : j * stride + pw]
            flat = window.reshape(N, C, ph * pw).argmax(axis=2)
            r = i * stride + flat // pw
            s = j * stride + flat % pw
            dx[n_idx, c_idx, r, s] += dout[:, :, i, j]
    return dx


def max_pool_forward_fast(x, pool_param):
    """Max pooling without Python loops, for non-overlapping windows that tile x.

    Requires pool_height == pool_width == stride, with H and W divisible by
    the stride (the usual 2x2, stride 2 pool). Same inputs, outputs and
    result as `max_pool_forward_naive`; other geometries fall back to it.

    Returns (out, cache) with out of shape (N, C, H / stride, W / stride).
    """
    N, C, H, W = x.shape
    ph, pw, stride, H_out, W_out = _pool_geometry(x.shape, pool_param)
    tiles = ph == pw == stride and H % ph == 0 and W % pw == 0
    if not tiles:
        out, naive_cache = max_pool_forward_naive(x, pool_param)
        return out, ("naive", naive_cache)
    # (N, C, H_out, ph, W_out, pw) -> (N, C, H_out, W_out, ph * pw): one row per window.
    windows = x.reshape(N, C, H_out, ph, W_out, pw).transpose(0, 1, 2, 4, 3, 5)
    windows = windows.reshape(N, C, H_out, W_out, ph * pw)
    winner = windows.argmax(axis=4)
    out = np.take_along_axis(windows, winner[..., None], axis=4)[..., 0]
    cache = ("fast", (x.shape, winner, pool_param))
    return out, cache


def max_pool_backward_fast(dout, cache):
    """Backward pass of `max_pool_forward_fast`.

    As in the naive version, each window's gradient goes to the first position
    holding its maximum (one position per window, also when values tie).
    Returns dx of shape (N, C, H, W).
    """
    kind, inner = cache
    if kind == "naive":
        return max_pool_backward_naive(dout, inner)
    x_shape, winner, pool_param = inner
    N, C, H, W = x_shape
    ph, pw = pool_param["pool_height"], pool_param["pool_width"]
    H_out, W_out = H // ph, W // pw
    dwindows = np.zeros((N, C, H_out, W_out, ph * pw), dtype=np.float64)
    np.put_along_axis(dwindows, winner[..., None], dout[..., None], axis=4)
    dx = dwindows.reshape(N, C, H_out, W_out, ph, pw).transpose(0, 1, 2, 4, 3, 5)
    return dx.reshape(N, C, H, W)


def softmax_loss(x, y):
    """Average cross-entropy loss of a softmax classifier, and its gradient.

    Inputs:
    - x: class scores, shape (N, K); x[i, k] is the score of class k for sample i.
    - y: integer labels, shape (N,), 0 <= y[i] < K.

    Returns (loss, dx): the mean over the N samples of -log softmax(x[i])[y[i]],
    a float, and its gradient with respect to x, shape (N, K).
    """
    N = x.shape[0]
    shifted = x - x.max(axis=1, keepdims=True)  # same softmax, no overflow in exp
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(N), y].mean()
    dx = np.exp(log_probs)
    dx[np.arange(N), y] -= 1.0
    dx /= N
    return float(loss), dx
