"""Known mistakes of layers/conv.py, each a variant of the reference with one mistake.

Written like the reference (solutions/layers/conv.py): the naive ones with
explicit loops, the fast ones with a patch matrix, each with keyword
switches that put one mistake in. Shapes: x (N, C, H, W), w (F, C, HH, WW),
b (F,), out and dout (N, F, H', W'). Caches have the reference's layout,
(x, w, b, conv_param) for the naive pair and (x, w, b, conv_param, cols) for
the fast pair, so a backward mistake runs on the reference forward's cache.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from autograder import trusted
from autograder.mistakes.mistake import Mistake

# -- pieces ---------------------------------------------------------------------------------------


def out_size(size: int, pad: int, kernel: int, stride: int, rule: str = "floor") -> int:
    """Output length along one axis of an input `size` long, under a rounding `rule`.

    floor (correct), or assert (floor, after asserting that the stride
    divides span = size + 2 pad - kernel).
    """
    if rule not in ("floor", "assert"):
        raise ValueError(rule)
    if rule == "assert":
        assert (size + 2 * pad - kernel) % stride == 0, "the stride must divide H + 2 * pad - HH"
    return trusted.load("vectorization").output_size(size, kernel, stride, pad)


def padded(x: np.ndarray, pad: int, how: str = "both") -> np.ndarray:
    """x (N, C, H, W) zero-padded to (N, C, H + 2 pad, W + 2 pad): on `both` sides of H and W
    (correct), or `after` x only (all 2 pad rows/columns below and right of it)."""
    if how == "both":
        return np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    if how == "after":
        return np.pad(x, ((0, 0), (0, 0), (0, 2 * pad), (0, 2 * pad)), mode="constant")
    raise ValueError(how)


def crop(dx_pad: np.ndarray, pad: int, H: int, W: int, how: str = "exact") -> np.ndarray:
    """Gradient of the padded input (N, C, H + 2p, W + 2p) -> of x: `exact` (correct),
    `negative` ([pad:-pad], empty when pad is 0) or `none` (the padded gradient itself)."""
    if how == "exact":
        return dx_pad[:, :, pad : pad + H, pad : pad + W].copy()
    if how == "negative":
        return dx_pad[:, :, pad:-pad, pad:-pad].copy()
    if how == "none":
        return dx_pad
    raise ValueError(how)


# -- naive ----------------------------------------------------------------------------------------


def forward_loops(
    x,
    w,
    b,
    conv_param,
    *,
    size="floor",
    padding="both",
    flip=False,
    bias=True,
    use_stride=True,
    width_from_height=False,
    dtype=np.float64,
):
    """conv_forward_naive with one switch changed: returns out (N, F, H', W') and the cache."""
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = out_size(H, pad, HH, stride, size)
    W_out = out_size(H if width_from_height else W, pad, WW, stride, size)
    x_pad = padded(x, pad, padding)
    kernel = w[:, :, ::-1, ::-1] if flip else w
    step = stride if use_stride else 1
    out = np.zeros((N, F, H_out, W_out), dtype=dtype)
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    window = x_pad[n, :, i * step : i * step + HH, j * step : j * step + WW]
                    out[n, f, i, j] = np.sum(window * kernel[f]) + (b[f] if bias else 0.0)
    return out, (x, w, b, conv_param)


def backward_loops(
    dout, cache, *, cropping="exact", dx_accumulate=True, dw_accumulate=True, use_stride=True, flip_dx=False
):
    """conv_backward_naive with one switch changed: dx (N, C, H, W), dw (F, C, HH, WW), db (F,)."""
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    x_pad = padded(x, pad)
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    db = np.zeros_like(b)
    kernel = w[:, :, ::-1, ::-1] if flip_dx else w
    step = stride if use_stride else 1
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    top, left = i * step, j * step
                    g = dout[n, f, i, j]
                    db[f] += g
                    if dw_accumulate:
                        dw[f] += g * x_pad[n, :, top : top + HH, left : left + WW]
                    else:
                        dw[f] = g * x_pad[n, :, top : top + HH, left : left + WW]
                    if dx_accumulate:
                        dx_pad[n, :, top : top + HH, left : left + WW] += g * kernel[f]
                    else:
                        dx_pad[n, :, top : top + HH, left : left + WW] = g * kernel[f]
    return crop(dx_pad, pad, H, W, cropping), dw, db


# -- fast -----------------------------------------------------------------------------------------


def forward_patches(
    x,
    w,
    b,
    conv_param,
    *,
    size="floor",
    padding="both",
    bias=True,
    width_from_height=False,
    dtype=np.float64,
    transpose_out=True,
):
    """conv_forward_fast with one switch changed: a patch matrix cols (C*HH*WW, N*H'*W'),
    rows (c, u, v) and columns (n, i, j), times the filters; returns out (N, F, H', W') and
    the cache (x, w, b, conv_param, cols)."""
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = out_size(H, pad, HH, stride, size)
    W_out = out_size(H if width_from_height else W, pad, WW, stride, size)
    x_pad = padded(x, pad, padding).transpose(1, 0, 2, 3)  # (C, N, H + 2p, W + 2p)
    cols = np.empty((C, HH, WW, N, H_out, W_out))
    for u in range(HH):
        for v in range(WW):
            cols[:, u, v] = x_pad[:, :, u : u + stride * H_out : stride, v : v + stride * W_out : stride]
    cols = cols.reshape(C * HH * WW, N * H_out * W_out)
    out = w.reshape(F, -1) @ cols
    if bias:
        out += b.reshape(F, 1)
    if transpose_out:
        out = out.reshape(F, N, H_out, W_out).transpose(1, 0, 2, 3)
    else:
        out = out.reshape(N, F, H_out, W_out)
    return np.ascontiguousarray(out, dtype=dtype), (x, w, b, conv_param, cols)


def backward_patches(dout, cache, *, transpose_dout=True, accumulate=True, cropping="exact", use_stride=True):
    """conv_backward_fast with one switch changed: dx (N, C, H, W), dw (F, C, HH, WW), db (F,)."""
    x, w, b, conv_param, cols = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    if transpose_dout:
        dout_mat = dout.transpose(1, 0, 2, 3).reshape(F, -1)
    else:
        dout_mat = dout.reshape(F, -1)
    db = dout_mat.sum(axis=1)
    dw = (dout_mat @ cols.T).reshape(F, C, HH, WW)
    dcols = (w.reshape(F, -1).T @ dout_mat).reshape(C, HH, WW, N, H_out, W_out)
    dx_pad = np.zeros((C, N, H + 2 * pad, W + 2 * pad))
    step = stride if use_stride else 1
    for u in range(HH):
        for v in range(WW):
            rows, columns = slice(u, u + step * H_out, step), slice(v, v + step * W_out, step)
            if accumulate:
                dx_pad[:, :, rows, columns] += dcols[:, u, v]
            else:
                dx_pad[:, :, rows, columns] = dcols[:, u, v]
    return np.ascontiguousarray(crop(dx_pad.transpose(1, 0, 2, 3), pad, H, W, cropping)), dw, db


# -- the catalogue ----------------------------------------------------------------------------------

_SIZE = "H' = 1 + (H + 2 * pad - HH) // stride (and W' likewise) with floor division: the last windows that do not fit are dropped"

NAIVE_FORWARD = "conv_forward_naive"
NAIVE_BACKWARD = "conv_backward_naive"
FAST_FORWARD = "conv_forward_fast"
FAST_BACKWARD = "conv_backward_fast"


def _forward(function, mistake_id, title, hint, raises=(), telltale=(), **switches):
    core = forward_loops if function == NAIVE_FORWARD else forward_patches
    return Mistake(mistake_id, (function,), title, hint, {function: partial(core, **switches)}, raises, telltale)


def _backward(function, mistake_id, title, hint, **switches):
    core = backward_loops if function == NAIVE_BACKWARD else backward_patches
    return Mistake(mistake_id, (function,), title, hint, {function: partial(core, **switches)})


MISTAKES = [
    # conv_forward_naive
    _forward(
        NAIVE_FORWARD,
        "conv_naive_kernel_flipped",
        "filter flipped (convolution, not cross-correlation)",
        "your conv_forward_naive flips the filter (w[:, :, ::-1, ::-1]), which is a true convolution. This "
        "layer is a cross-correlation: multiply each window by w[f] as it is, "
        "out[n, f, i, j] = b[f] + sum(xpad[n, :, i*stride:i*stride+HH, j*stride:j*stride+WW] * w[f]).",
        flip=True,
    ),
    _forward(
        NAIVE_FORWARD,
        "conv_naive_no_bias",
        "bias forgotten",
        "your conv_forward_naive leaves out the bias: add b[f] to every output value of filter f.",
        bias=False,
    ),
    _forward(
        NAIVE_FORWARD,
        "conv_naive_stride_assert",
        "asserts that the stride divides evenly",
        "your conv_forward_naive asserts (or requires) that the stride divides H + 2 * pad - HH evenly. "
        f"It need not: {_SIZE}.",
        raises=("AssertionError",),
        telltale=("AssertionError",),
        size="assert",
    ),
    _forward(
        NAIVE_FORWARD,
        "conv_naive_pad_one_side",
        "padding on one side only",
        "your conv_forward_naive puts all the padding below and to the right of x. Pad both sides: pad rows "
        "above and below, pad columns left and right, so x sits at x_pad[:, :, pad:pad+H, pad:pad+W].",
        padding="after",
    ),
    _forward(
        NAIVE_FORWARD,
        "conv_naive_stride_ignored",
        "windows not moved by the stride",
        "your conv_forward_naive starts window (i, j) at row i and column j. With a stride the window starts "
        "at row i * stride and column j * stride.",
        use_stride=False,
    ),
    _forward(
        NAIVE_FORWARD,
        "conv_naive_width_from_height",
        "W' computed from H",
        "your conv_forward_naive computes the output width from the input height. Use "
        "W' = 1 + (W + 2 * pad - WW) // stride.",
        raises=("ValueError",),
        width_from_height=True,
    ),
    # conv_backward_naive
    _backward(
        NAIVE_BACKWARD,
        "conv_naive_dx_slice_negative_pad",
        "dx cropped with [pad:-pad] (empty at pad 0)",
        "your conv_backward_naive crops the padding off dx with [pad:-pad]; when pad is 0 that slice "
        "[0:-0] is empty. Crop with dx_pad[:, :, pad:pad + H, pad:pad + W].",
        cropping="negative",
    ),
    _backward(
        NAIVE_BACKWARD,
        "conv_naive_dx_padded",
        "dx returned with its padding",
        "your conv_backward_naive returns the gradient of the padded input. Drop the padding: "
        "dx = dx_pad[:, :, pad:pad + H, pad:pad + W].",
        cropping="none",
    ),
    _backward(
        NAIVE_BACKWARD,
        "conv_naive_dx_assigned",
        "dx windows assigned, not accumulated",
        "your conv_backward_naive writes each window's share of dx with `=`. Windows overlap (and every "
        "filter adds to the same window), so accumulate with `+=`.",
        dx_accumulate=False,
    ),
    _backward(
        NAIVE_BACKWARD,
        "conv_naive_dw_assigned",
        "dw assigned, not accumulated",
        "your conv_backward_naive writes dw[f] with `=` in the loop, so only the last window counts. Every "
        "window of every sample adds to dw[f]: accumulate with `+=`.",
        dw_accumulate=False,
    ),
    _backward(
        NAIVE_BACKWARD,
        "conv_naive_backward_stride_ignored",
        "backward windows not moved by the stride",
        "your conv_backward_naive takes window (i, j) at row i and column j. As in the forward pass, it "
        "starts at row i * stride and column j * stride (for both dx and dw).",
        use_stride=False,
    ),
    _backward(
        NAIVE_BACKWARD,
        "conv_naive_dx_kernel_flipped",
        "dx uses the flipped filter",
        "your conv_backward_naive sends the gradient back through the flipped filter. The forward pass uses "
        "w[f] unflipped, so add dout[n, f, i, j] * w[f] to the window of dx.",
        flip_dx=True,
    ),
    # conv_forward_fast
    _forward(
        FAST_FORWARD,
        "conv_fast_no_bias",
        "bias forgotten",
        "your conv_forward_fast leaves out the bias: add b[f] to every output value of filter f "
        "(e.g. out += b.reshape(F, 1) on the (F, N*H'*W') product).",
        bias=False,
    ),
    _forward(
        FAST_FORWARD,
        "conv_fast_pad_one_side",
        "padding on one side only",
        "your conv_forward_fast puts x at the top left of the padded array (all the zeros below and right). "
        "x belongs at x_pad[:, :, pad:pad + H, pad:pad + W].",
        padding="after",
    ),
    _forward(
        FAST_FORWARD,
        "conv_fast_stride_assert",
        "asserts that the stride divides evenly",
        "your conv_forward_fast asserts (or requires) that the stride divides H + 2 * pad - HH evenly. "
        f"It need not: {_SIZE}.",
        raises=("AssertionError",),
        telltale=("AssertionError",),
        size="assert",
    ),
    _forward(
        FAST_FORWARD,
        "conv_fast_width_from_height",
        "W' computed from H",
        "your conv_forward_fast computes the output width from the input height. Use "
        "W' = 1 + (W + 2 * pad - WW) // stride.",
        raises=("ValueError",),
        width_from_height=True,
    ),
    _forward(
        FAST_FORWARD,
        "conv_fast_float32",
        "float32 output",
        "your conv_forward_fast returns float32. Keep float64 throughout (no astype(np.float32), no float32 buffers).",
        dtype=np.float32,
    ),
    _forward(
        FAST_FORWARD,
        "conv_fast_out_not_transposed",
        "(F, N*H'*W') product reshaped without a transpose",
        "your conv_forward_fast reshapes the (F, N*H'*W') product straight to (N, F, H', W'). Its rows are "
        "filters: reshape to (F, N, H', W') first, then transpose(1, 0, 2, 3).",
        transpose_out=False,
    ),
    # conv_backward_fast
    _backward(
        FAST_BACKWARD,
        "conv_fast_dout_not_transposed",
        "dout reshaped to (F, -1) without a transpose",
        "your conv_backward_fast reshapes dout (N, F, H', W') straight to (F, N*H'*W'). Move F to the front "
        "first: dout.transpose(1, 0, 2, 3).reshape(F, -1).",
        transpose_dout=False,
    ),
    _backward(
        FAST_BACKWARD,
        "conv_fast_col2im_assigned",
        "patch gradients assigned, not accumulated (col2im)",
        "your conv_backward_fast puts the patch gradients back into dx with `=`. Windows overlap, so add "
        "them with `+=` (or np.add.at).",
        accumulate=False,
    ),
    _backward(
        FAST_BACKWARD,
        "conv_fast_dx_slice_negative_pad",
        "dx cropped with [pad:-pad] (empty at pad 0)",
        "your conv_backward_fast crops the padding off dx with [pad:-pad]; when pad is 0 that slice is "
        "empty. Crop with dx_pad[:, :, pad:pad + H, pad:pad + W].",
        cropping="negative",
    ),
    _backward(
        FAST_BACKWARD,
        "conv_fast_dx_padded",
        "dx returned with its padding",
        "your conv_backward_fast returns the gradient of the padded input. Drop the padding: "
        "dx = dx_pad[:, :, pad:pad + H, pad:pad + W].",
        cropping="none",
    ),
    _backward(
        FAST_BACKWARD,
        "conv_fast_backward_stride_ignored",
        "col2im ignores the stride",
        "your conv_backward_fast puts patch gradients back at consecutive positions. With a stride, patch "
        "(i, j) starts at row i * stride and column j * stride, as in the forward pass.",
        use_stride=False,
    ),
]
