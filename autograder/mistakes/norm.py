"""Known mistakes of layers/norm.py, each a variant of the reference with one mistake.

Written like the reference (solutions/layers/norm.py), each layer as one
function with keyword switches that put one mistake in. Shapes: batch and
layer norm x (N, D), gamma/beta (D,); spatial batch and instance norm
x (N, C, H, W), gamma/beta (C,); group norm x (N, C, H, W), gamma/beta
(1, C, 1, 1). Caches have the reference's layout, so a backward mistake runs
on the reference forward's cache:

    batchnorm (train)   (x_hat, xc, var, std, inv_std, gamma, eps)
    spatial batchnorm   (batchnorm cache of the (N*H*W, C) rows, x.shape)
    layernorm           (x_hat, inv_std, gamma), inv_std (N, 1)
    groupnorm           (x_hat, inv_std, gamma, G), inv_std (N, G, 1)
    instancenorm        (x_hat, inv_std, gamma), inv_std (N, C, 1, 1)
"""

from __future__ import annotations

from functools import partial

import numpy as np

from autograder import trusted
from autograder.mistakes.mistake import Mistake


def _reference():
    return trusted.load("norm")


def variance(xc: np.ndarray, axis, ddof: int = 0) -> np.ndarray:
    """Variance of centred values xc over `axis` (kept), dividing by count - ddof."""
    count = np.prod([xc.shape[a] for a in np.atleast_1d(axis)])
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sum(xc**2, axis=axis, keepdims=True) / (count - ddof)


def scale(var: np.ndarray, eps: float, eps_outside: bool = False) -> np.ndarray:
    """The divisor of the centred values: sqrt(var + eps), or sqrt(var) + eps."""
    return np.sqrt(var) + eps if eps_outside else np.sqrt(var + eps)


# -- batch norm -----------------------------------------------------------------------------------


def batchnorm_forward(
    x,
    gamma,
    beta,
    bn_param,
    *,
    ddof=0,
    eps_outside=False,
    fixed_eps=None,
    momentum_swapped=False,
    running_var_of_std=False,
    store_running=True,
    test_batch_stats=False,
    test_affine=True,
    centre_in_place=False,
):
    """batchnorm_forward with one switch changed: out (N, D) and the reference's cache layout."""
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5) if fixed_eps is None else fixed_eps
    momentum = bn_param.get("momentum", 0.9)
    N, D = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(D))
    running_var = bn_param.get("running_var", np.zeros(D))
    if mode == "train" or test_batch_stats:
        mu = x.mean(axis=0)
        if centre_in_place:
            x -= mu
            xc = x
        else:
            xc = x - mu
        var = variance(xc, 0, ddof)[0]
        std = scale(var, eps, eps_outside)
        inv_std = 1.0 / std
        x_hat = xc * inv_std
        out = gamma * x_hat + beta
        if mode == "train":
            keep, new = (1 - momentum, momentum) if momentum_swapped else (momentum, 1 - momentum)
            new_mean = keep * running_mean + new * mu
            new_var = keep * running_var + new * (std if running_var_of_std else var)
            if store_running:
                bn_param["running_mean"], bn_param["running_var"] = new_mean, new_var
        return out, (x_hat, xc, var, std, inv_std, gamma, eps)
    inv_std = 1.0 / scale(running_var, eps, eps_outside)
    x_hat = (x - running_mean) * inv_std
    out = gamma * x_hat + beta if test_affine else x_hat
    return out, (x_hat, inv_std, gamma, eps)


def batchnorm_backward(
    dout,
    cache,
    *,
    mean_term=True,
    var_path=True,
    sum_dgamma=True,
    dout_in_place=False,
    half=True,
    two=True,
    use_gamma=True,
):
    """batchnorm_backward (step by step) with one switch changed: dx (N, D), dgamma, dbeta (D,)."""
    x_hat, xc, var, std, inv_std, gamma, eps = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * x_hat, axis=0) if sum_dgamma else dout * x_hat
    if dout_in_place:
        dx_hat = dout
        dx_hat *= gamma
    else:
        dx_hat = dout * gamma if use_gamma else dout
    dxc = dx_hat * inv_std
    if var_path:
        dinv_std = np.sum(dx_hat * xc, axis=0)
        dstd = -dinv_std / std**2
        dvar = (0.5 if half else 1.0) * dstd / std
        dxc = dxc + (2.0 if two else 1.0) * xc * dvar / N
    dmu = -np.sum(dxc, axis=0)
    dx = dxc + dmu / N if mean_term else dxc
    return dx, dgamma, dbeta


def batchnorm_backward_alt(dout, cache, *, xhat_term=True, mean_term=True, use_gamma=True, count_axis=0):
    """batchnorm_backward_alt (closed form) with one switch changed: dx (N, D), dgamma, dbeta (D,)."""
    x_hat, _, _, _, inv_std, gamma, _ = cache
    N = dout.shape[count_axis]
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    inner = dout.copy()
    if mean_term:
        inner -= dbeta / N
    if xhat_term:
        inner -= x_hat * dgamma / N
    return (gamma if use_gamma else 1.0) * inv_std * inner, dgamma, dbeta


def spatial_batchnorm_forward(x, gamma, beta, bn_param, *, rows_in="transpose", rows_out="transpose", **switches):
    """spatial_batchnorm_forward: x (N, C, H, W) as (N*H*W, C) rows through batchnorm_forward (with
    `switches`), then back. rows_in/rows_out "reshape" skip the transpose that moves C last / back."""
    N, C, H, W = x.shape
    rows = x.transpose(0, 2, 3, 1).reshape(-1, C) if rows_in == "transpose" else x.reshape(-1, C)
    out_rows, bn_cache = batchnorm_forward(rows, gamma, beta, bn_param, **switches)
    if rows_out == "transpose":
        out = out_rows.reshape(N, H, W, C).transpose(0, 3, 1, 2)
    else:
        out = out_rows.reshape(N, C, H, W)
    return np.ascontiguousarray(out), (bn_cache, x.shape)


def spatial_batchnorm_backward(dout, cache, *, rows_in="transpose", rows_out="transpose", keepdims=False):
    """spatial_batchnorm_backward with one switch changed: dx (N, C, H, W), dgamma, dbeta (C,)."""
    bn_cache, (N, C, H, W) = cache
    rows = dout.transpose(0, 2, 3, 1).reshape(-1, C) if rows_in == "transpose" else dout.reshape(-1, C)
    dx_rows, dgamma, dbeta = _reference().batchnorm_backward_alt(rows, bn_cache)
    if rows_out == "transpose":
        dx = dx_rows.reshape(N, H, W, C).transpose(0, 3, 1, 2)
    else:
        dx = dx_rows.reshape(N, C, H, W)
    if keepdims:
        dgamma, dbeta = dgamma.reshape(1, C, 1, 1), dbeta.reshape(1, C, 1, 1)
    return np.ascontiguousarray(dx), dgamma, dbeta


# -- layer, group and instance norm -----------------------------------------------------------------


def layernorm_forward(
    x,
    gamma,
    beta,
    ln_param,
    *,
    axis=1,
    ddof=0,
    eps_outside=False,
    fixed_eps=None,
    centre_in_place=False,
    affine_in_place=False,
):
    """layernorm_forward with one switch changed: out (N, D), cache (x_hat, inv_std, gamma).

    affine_in_place: out is made from x_hat in place (x_hat *= gamma; x_hat += beta), so the cache holds
    out where x_hat belongs (a mistake of the forward that only the backward shows)."""
    eps = ln_param.get("eps", 1e-5) if fixed_eps is None else fixed_eps
    mu = x.mean(axis=axis, keepdims=True)
    if centre_in_place:
        x -= mu
        xc = x
    else:
        xc = x - mu
    inv_std = 1.0 / scale(variance(xc, axis, ddof), eps, eps_outside)
    x_hat = xc * inv_std
    if affine_in_place:
        x_hat *= gamma
        x_hat += beta
        out = x_hat.copy()
    else:
        out = gamma * x_hat + beta
    return out, (x_hat, inv_std, gamma)


def layernorm_backward(dout, cache, *, keepdims=False, param_axis=0, xhat_term=True, batch_formula=False):
    """layernorm_backward with one switch changed: dx (N, D), dgamma, dbeta (D,).

    param_axis 1 sums dgamma/dbeta over the features (shape (N,)); batch_formula takes the closed
    form's sums over the batch (axis 0), as in batch norm."""
    x_hat, inv_std, gamma = cache
    axis = 0 if batch_formula else 1
    M = dout.shape[axis]
    dbeta = dout.sum(axis=param_axis, keepdims=keepdims)
    dgamma = np.sum(dout * x_hat, axis=param_axis, keepdims=keepdims)
    dx_hat = dout * gamma
    inner = M * dx_hat - dx_hat.sum(axis=axis, keepdims=True)
    if xhat_term:
        inner = inner - x_hat * np.sum(dx_hat * x_hat, axis=axis, keepdims=True)
    return (inv_std / M) * inner, dgamma, dbeta


def spatial_groupnorm_forward(
    x, gamma, beta, G, gn_param, *, interleaved=False, stats="group", ddof=0, eps_outside=False, gamma_as_vector=False
):
    """spatial_groupnorm_forward with one switch changed: out (N, C, H, W), cache (x_hat, inv_std, gamma, G).

    stats "group" (correct: over each group's (C // G, H, W)), "channels" (over the group's channels
    only, per pixel), "batch" (over N too); interleaved puts channel c in group c % G."""
    eps = gn_param.get("eps", 1e-5)
    N, C, H, W = x.shape
    if interleaved:
        xg = x.reshape(N, C // G, G, H, W).transpose(0, 2, 1, 3, 4)  # (N, G, C // G, H, W)
    else:
        xg = x.reshape(N, G, C // G, H, W)
    axis = {"group": (2, 3, 4), "channels": (2,), "batch": (0, 2, 3, 4)}[stats]
    xc = xg - xg.mean(axis=axis, keepdims=True)
    inv_std = 1.0 / scale(variance(xc, axis, ddof), eps, eps_outside)
    xg_hat = xc * inv_std
    if interleaved:
        xg_hat = xg_hat.transpose(0, 2, 1, 3, 4)
    x_hat = xg_hat.reshape(N, C, H, W)
    if gamma_as_vector == "index":  # gamma[None, :, None, None], as for a (C,) vector: 7 axes here
        out = gamma[None, :, None, None] * x_hat + beta[None, :, None, None]
    elif gamma_as_vector:
        out = gamma[:, None, None] * x_hat + beta[:, None, None]
    else:
        out = gamma * x_hat + beta
    return out, (x_hat, inv_std, gamma, G)


def spatial_groupnorm_backward(dout, cache, *, vector_params=False, xhat_term=True, count="group", use_gamma=True):
    """spatial_groupnorm_backward with one switch changed: dx (N, C, H, W), dgamma, dbeta (1, C, 1, 1).

    count "hw" divides by H * W instead of the (C // G) * H * W values of a group."""
    x_hat, inv_std, gamma, G = cache
    N, C, H, W = dout.shape
    size = (C // G) * H * W
    M = size if count == "group" else H * W
    dbeta = dout.sum(axis=(0, 2, 3), keepdims=not vector_params)
    dgamma = np.sum(dout * x_hat, axis=(0, 2, 3), keepdims=not vector_params)
    dx_hat = (dout * gamma if use_gamma else dout).reshape(N, G, size)
    xg_hat = x_hat.reshape(N, G, size)
    inner = M * dx_hat - dx_hat.sum(axis=2, keepdims=True)
    if xhat_term:
        inner = inner - xg_hat * np.sum(dx_hat * xg_hat, axis=2, keepdims=True)
    return ((inv_std.reshape(N, G, 1) / M) * inner).reshape(N, C, H, W), dgamma, dbeta


def instancenorm_forward(x, gamma, beta, in_param, *, axis=(2, 3), ddof=0, eps_outside=False, fixed_eps=None):
    """instancenorm_forward with one switch changed: out (N, C, H, W), cache (x_hat, inv_std, gamma)."""
    eps = in_param.get("eps", 1e-5) if fixed_eps is None else fixed_eps
    xc = x - x.mean(axis=axis, keepdims=True)
    inv_std = 1.0 / scale(variance(xc, axis, ddof), eps, eps_outside)
    x_hat = xc * inv_std
    return gamma.reshape(1, -1, 1, 1) * x_hat + beta.reshape(1, -1, 1, 1), (x_hat, inv_std, gamma)


def instancenorm_backward(dout, cache, *, mean_term=True, xhat_term=True, keepdims=False, count="hw"):
    """instancenorm_backward with one switch changed: dx (N, C, H, W), dgamma, dbeta (C,).

    count "chw" divides by C * H * W instead of the H * W values of one channel."""
    x_hat, inv_std, gamma = cache
    N, C, H, W = dout.shape
    M = H * W if count == "hw" else C * H * W
    dbeta = dout.sum(axis=(0, 2, 3), keepdims=keepdims)
    dgamma = np.sum(dout * x_hat, axis=(0, 2, 3), keepdims=keepdims)
    dx_hat = dout * gamma.reshape(1, C, 1, 1)
    inner = M * dx_hat
    if mean_term:
        inner = inner - dx_hat.sum(axis=(2, 3), keepdims=True)
    if xhat_term:
        inner = inner - x_hat * np.sum(dx_hat * x_hat, axis=(2, 3), keepdims=True)
    return (inv_std / M) * inner, dgamma, dbeta


# -- the catalogue ----------------------------------------------------------------------------------

_CORES = {
    "batchnorm_forward": batchnorm_forward,
    "batchnorm_backward": batchnorm_backward,
    "batchnorm_backward_alt": batchnorm_backward_alt,
    "spatial_batchnorm_forward": spatial_batchnorm_forward,
    "spatial_batchnorm_backward": spatial_batchnorm_backward,
    "layernorm_forward": layernorm_forward,
    "layernorm_backward": layernorm_backward,
    "spatial_groupnorm_forward": spatial_groupnorm_forward,
    "spatial_groupnorm_backward": spatial_groupnorm_backward,
    "instancenorm_forward": instancenorm_forward,
    "instancenorm_backward": instancenorm_backward,
}


def _m(function, mistake_id, title, hint, named_on=None, **switches):
    """A mistake replacing `function` (its core with `switches`), named on `named_on` (default: function)."""
    return Mistake(
        mistake_id, tuple(named_on or (function,)), title, hint, {function: partial(_CORES[function], **switches)}
    )


_BIASED = "divide by the number of values (np.var's default ddof=0, or np.mean((x - mu) ** 2))"
_EPS = "add eps to the variance inside the square root: (x - mu) / np.sqrt(var + eps)"

MISTAKES = [
    # batchnorm_forward
    _m(
        "batchnorm_forward",
        "bn_var_unbiased",
        "unbiased variance (N - 1)",
        f"your batchnorm_forward divides the variance by N - 1 (np.var(..., ddof=1) or similar). Batch norm uses "
        f"the biased variance: {_BIASED}.",
        ddof=1,
    ),
    _m(
        "batchnorm_forward",
        "bn_eps_outside_sqrt",
        "eps outside the square root",
        f"your batchnorm_forward adds eps outside the square root, sqrt(var) + eps. Instead {_EPS} (in test mode "
        "too, with the running variance).",
        eps_outside=True,
    ),
    _m(
        "batchnorm_forward",
        "bn_eps_ignored",
        "bn_param['eps'] ignored",
        "your batchnorm_forward ignores bn_param['eps'] and always uses 1e-5. Read it with bn_param.get('eps', 1e-5).",
        fixed_eps=1e-5,
    ),
    _m(
        "batchnorm_forward",
        "bn_momentum_swapped",
        "momentum weights swapped",
        "your batchnorm_forward weights the running averages the wrong way round. Keep momentum of the old value: "
        "running_mean = momentum * running_mean + (1 - momentum) * batch_mean, and likewise for running_var.",
        momentum_swapped=True,
    ),
    _m(
        "batchnorm_forward",
        "bn_running_var_of_std",
        "running_var averages the standard deviation",
        "your batchnorm_forward averages the standard deviation, sqrt(var + eps), into running_var. Average the "
        "(biased) batch "
        "variance itself: running_var = momentum * running_var + (1 - momentum) * batch_var.",
        running_var_of_std=True,
    ),
    _m(
        "batchnorm_forward",
        "bn_running_not_stored",
        "running averages never stored in bn_param",
        "your batchnorm_forward updates the running averages in local variables only. Store them: "
        "bn_param['running_mean'] = ... and bn_param['running_var'] = ..., so the next call (and test mode) "
        "sees them.",
        store_running=False,
    ),
    _m(
        "batchnorm_forward",
        "bn_test_uses_batch_stats",
        "test mode normalizes with the batch's statistics",
        "in test mode your batchnorm_forward normalizes with the batch's own mean and variance. Test mode uses "
        "bn_param['running_mean'] and bn_param['running_var'] and updates nothing.",
        test_batch_stats=True,
    ),
    _m(
        "batchnorm_forward",
        "bn_test_no_affine",
        "test mode without gamma and beta",
        "in test mode your batchnorm_forward returns the normalized x without gamma and beta. Scale and shift "
        "there too: out = gamma * x_hat + beta.",
        test_affine=False,
    ),
    _m(
        "batchnorm_forward",
        "bn_centres_x_in_place",
        "x changed in place",
        "your batchnorm_forward changes x in place (as x -= mu does), so the caller's array changes. Compute into "
        "new arrays: xc = x - mu.",
        centre_in_place=True,
    ),
    # batchnorm_backward
    _m(
        "batchnorm_backward",
        "bn_bwd_no_mean_term",
        "dx misses the path through the mean",
        "your batchnorm_backward forgets that the mean depends on x: after dxc, add the mean's share, "
        "dx = dxc - dxc.sum(axis=0) / N.",
        mean_term=False,
    ),
    _m(
        "batchnorm_backward",
        "bn_bwd_no_var_path",
        "dx misses the path through the variance",
        "your batchnorm_backward treats the standard deviation as a constant. The variance depends on x too: "
        "dvar = sum(dx_hat * xc) * -0.5 * (var + eps) ** -1.5, and xc gets 2 * xc * dvar / N more.",
        var_path=False,
    ),
    _m(
        "batchnorm_backward",
        "bn_bwd_dvar_no_half",
        "dvar misses the 1/2 of the square root's derivative",
        "your batchnorm_backward drops the 1/2 of d sqrt(v)/dv = 1 / (2 sqrt(v)) in dvar: "
        "dvar = -0.5 * sum(dx_hat * xc) * (var + eps) ** -1.5.",
        half=False,
    ),
    _m(
        "batchnorm_backward",
        "bn_bwd_dsq_no_two",
        "the variance path misses the 2 of d(xc**2)",
        "in your batchnorm_backward the variance's share of dxc misses the factor 2 of d(xc ** 2)/dxc: "
        "add 2 * xc * dvar / N.",
        two=False,
    ),
    _m(
        "batchnorm_backward",
        "bn_bwd_no_gamma",
        "dx misses gamma",
        "your batchnorm_backward starts dx from dout instead of dx_hat = dout * gamma.",
        use_gamma=False,
    ),
    _m(
        "batchnorm_backward",
        "bn_bwd_dgamma_not_summed",
        "dgamma not summed over the batch (shape (N, D))",
        "your batchnorm_backward returns dgamma = dout * x_hat of shape (N, D). Sum over the batch: "
        "np.sum(dout * x_hat, axis=0), shape (D,).",
        sum_dgamma=False,
    ),
    _m(
        "batchnorm_backward",
        "bn_bwd_dout_in_place",
        "dout changed in place",
        "your batchnorm_backward changes dout in place (as dx_hat = dout; dx_hat *= gamma does), so the caller's "
        "array changes. Compute into new arrays: dx_hat = dout * gamma.",
        dout_in_place=True,
    ),
    # batchnorm_backward_alt
    _m(
        "batchnorm_backward_alt",
        "bn_alt_no_xhat_term",
        "closed form misses the x_hat term",
        "your batchnorm_backward_alt drops the x_hat * sum(dout * x_hat) term. The closed form is "
        "dx = gamma * inv_std / N * (N * dout - dout.sum(axis=0) - x_hat * np.sum(dout * x_hat, axis=0)).",
        xhat_term=False,
    ),
    _m(
        "batchnorm_backward_alt",
        "bn_alt_no_mean_term",
        "closed form misses the mean term",
        "your batchnorm_backward_alt drops the - dout.sum(axis=0) term (the mean's share). The closed form is "
        "dx = gamma * inv_std / N * (N * dout - dout.sum(axis=0) - x_hat * np.sum(dout * x_hat, axis=0)).",
        mean_term=False,
    ),
    _m(
        "batchnorm_backward_alt",
        "bn_alt_no_gamma",
        "closed form misses gamma",
        "your batchnorm_backward_alt leaves gamma out of dx: dx = gamma * inv_std / N * (...).",
        use_gamma=False,
    ),
    _m(
        "batchnorm_backward_alt",
        "bn_alt_divides_by_d",
        "closed form divides by D instead of N",
        "your batchnorm_backward_alt divides by the number of features D. The sums are over the batch, so "
        "divide by N = dout.shape[0].",
        count_axis=1,
    ),
    # spatial_batchnorm_forward
    _m(
        "spatial_batchnorm_forward",
        "sbn_no_transpose",
        "x reshaped to (N*H*W, C) without moving C last",
        "your spatial_batchnorm_forward reshapes x straight to (N*H*W, C), which mixes channels. Move C last "
        "first: x.transpose(0, 2, 3, 1).reshape(-1, C), and back the same way for the output.",
        rows_in="reshape",
        rows_out="reshape",
    ),
    _m(
        "spatial_batchnorm_forward",
        "sbn_out_not_transposed_back",
        "output reshaped back without the transpose",
        "your spatial_batchnorm_forward moves C last for batch norm but reshapes the result straight to "
        "(N, C, H, W). Undo the transpose: out.reshape(N, H, W, C).transpose(0, 3, 1, 2).",
        rows_out="reshape",
    ),
    _m(
        "spatial_batchnorm_forward",
        "sbn_var_unbiased",
        "unbiased variance (N*H*W - 1)",
        f"your spatial_batchnorm_forward divides the variance by N*H*W - 1. Use the biased variance: {_BIASED}.",
        ddof=1,
    ),
    _m(
        "spatial_batchnorm_forward",
        "sbn_eps_outside_sqrt",
        "eps outside the square root",
        f"your spatial_batchnorm_forward adds eps outside the square root. Instead {_EPS}.",
        eps_outside=True,
    ),
    # spatial_batchnorm_backward
    _m(
        "spatial_batchnorm_backward",
        "sbn_bwd_no_transpose",
        "dout reshaped to (N*H*W, C) without moving C last",
        "your spatial_batchnorm_backward reshapes dout straight to (N*H*W, C). Move C last first, "
        "dout.transpose(0, 2, 3, 1).reshape(-1, C), as the forward did with x, and transpose dx back.",
        rows_in="reshape",
        rows_out="reshape",
    ),
    _m(
        "spatial_batchnorm_backward",
        "sbn_bwd_dx_not_transposed_back",
        "dx reshaped back without the transpose",
        "your spatial_batchnorm_backward reshapes dx straight to (N, C, H, W). Undo the transpose: "
        "dx.reshape(N, H, W, C).transpose(0, 3, 1, 2).",
        rows_out="reshape",
    ),
    _m(
        "spatial_batchnorm_backward",
        "sbn_bwd_params_keepdims",
        "dgamma/dbeta of shape (1, C, 1, 1)",
        "your spatial_batchnorm_backward returns dgamma and dbeta of shape (1, C, 1, 1). They have the shape of "
        "gamma and beta, (C,): sum without keepdims.",
        keepdims=True,
    ),
    # layernorm_forward
    _m(
        "layernorm_forward",
        "ln_stats_over_batch",
        "statistics over the batch (axis 0)",
        "your layernorm_forward takes the mean and variance over the batch (axis 0), like batch norm. Layer norm "
        "normalizes each sample over its features: axis=1, keepdims=True.",
        axis=0,
    ),
    _m(
        "layernorm_forward",
        "ln_eps_outside_sqrt",
        "eps outside the square root",
        f"your layernorm_forward adds eps outside the square root, sqrt(var) + eps. Instead {_EPS}.",
        eps_outside=True,
    ),
    _m(
        "layernorm_forward",
        "ln_var_unbiased",
        "unbiased variance (D - 1)",
        f"your layernorm_forward divides the variance by D - 1. Use the biased variance: {_BIASED}.",
        ddof=1,
    ),
    _m(
        "layernorm_forward",
        "ln_eps_ignored",
        "ln_param['eps'] ignored",
        "your layernorm_forward ignores ln_param['eps'] and always uses 1e-5. Read it with ln_param.get('eps', 1e-5).",
        fixed_eps=1e-5,
    ),
    _m(
        "layernorm_forward",
        "ln_centres_x_in_place",
        "x changed in place",
        "your layernorm_forward changes x in place (as x -= mu does), so the caller's array changes. Compute into "
        "new arrays: xc = x - mu.",
        centre_in_place=True,
    ),
    _m(
        "layernorm_forward",
        "ln_cache_holds_output",
        "x_hat in the cache overwritten by the output",
        "your layernorm_forward computes the output in place from x_hat (x_hat *= gamma; x_hat += beta), so the "
        "cache holds the output where layernorm_backward expects x_hat. Make a new array: "
        "out = gamma * x_hat + beta.",
        named_on=("layernorm_backward",),
        affine_in_place=True,
    ),
    # layernorm_backward
    _m(
        "layernorm_backward",
        "ln_bwd_params_keepdims",
        "dgamma/dbeta of shape (1, D)",
        "your layernorm_backward returns dgamma and dbeta of shape (1, D) (a sum with keepdims=True). They have "
        "the shape of gamma and beta, (D,): dout.sum(axis=0).",
        keepdims=True,
    ),
    _m(
        "layernorm_backward",
        "ln_bwd_params_per_sample",
        "dgamma/dbeta summed over the features",
        "your layernorm_backward sums dgamma and dbeta over the features (axis 1). gamma and beta are per "
        "feature and shared by the samples: sum over the batch, axis 0, shape (D,).",
        param_axis=1,
    ),
    _m(
        "layernorm_backward",
        "ln_bwd_batch_formula",
        "dx from batch norm's sums over the batch",
        "your layernorm_backward takes the sums of the closed form over the batch (axis 0), as in batch norm. In "
        "layer norm each sample has its own statistics: sum over its features (axis 1, keepdims=True) and "
        "divide by D.",
        batch_formula=True,
    ),
    _m(
        "layernorm_backward",
        "ln_bwd_no_xhat_term",
        "closed form misses the x_hat term",
        "your layernorm_backward drops the x_hat * sum(dx_hat * x_hat) term: "
        "dx = inv_std / D * (D * dx_hat - sum(dx_hat) - x_hat * sum(dx_hat * x_hat)), sums over axis 1.",
        xhat_term=False,
    ),
    # spatial_groupnorm_forward
    _m(
        "spatial_groupnorm_forward",
        "gn_gamma_as_vector",
        "gamma/beta assumed of shape (C,)",
        "your spatial_groupnorm_forward treats gamma and beta as vectors of shape (C,) (gamma[:, None, None]). "
        "Here they have shape (1, C, 1, 1) and broadcast as they are: out = gamma * x_hat + beta.",
        gamma_as_vector=True,
    ),
    _m(
        "spatial_groupnorm_forward",
        "gn_gamma_indexed_as_vector",
        "gamma/beta assumed of shape (C,)",
        "your spatial_groupnorm_forward indexes gamma and beta as vectors of shape (C,) (gamma[None, :, None, None]), "
        "which gives them extra axes. Here they already have shape (1, C, 1, 1): out = gamma * x_hat + beta.",
        gamma_as_vector="index",
    ),
    _m(
        "spatial_groupnorm_forward",
        "gn_channels_interleaved",
        "channels split as (C // G, G)",
        "your spatial_groupnorm_forward puts channel c in group c % G. Groups are contiguous: "
        "x.reshape(N, G, C // G, H, W), channels 0 .. C/G - 1 in group 0, and so on.",
        interleaved=True,
    ),
    _m(
        "spatial_groupnorm_forward",
        "gn_stats_per_pixel",
        "statistics over the group's channels only",
        "your spatial_groupnorm_forward averages over the group's channels only, per pixel. Each group's "
        "statistics are over all its (C // G, H, W) values.",
        stats="channels",
    ),
    _m(
        "spatial_groupnorm_forward",
        "gn_stats_over_batch",
        "statistics over the batch too",
        "your spatial_groupnorm_forward averages over the samples too. Each sample has its own statistics: "
        "average over the group's (C // G, H, W) values of one sample.",
        stats="batch",
    ),
    _m(
        "spatial_groupnorm_forward",
        "gn_var_unbiased",
        "unbiased variance",
        f"your spatial_groupnorm_forward divides the variance by its count - 1. Use the biased variance: {_BIASED}.",
        ddof=1,
    ),
    _m(
        "spatial_groupnorm_forward",
        "gn_eps_outside_sqrt",
        "eps outside the square root",
        f"your spatial_groupnorm_forward adds eps outside the square root. Instead {_EPS}.",
        eps_outside=True,
    ),
    # spatial_groupnorm_backward
    _m(
        "spatial_groupnorm_backward",
        "gn_bwd_params_vector",
        "dgamma/dbeta of shape (C,)",
        "your spatial_groupnorm_backward returns dgamma and dbeta of shape (C,). They have the shape of gamma "
        "and beta, (1, C, 1, 1): sum over axes (0, 2, 3) with keepdims=True.",
        vector_params=True,
    ),
    _m(
        "spatial_groupnorm_backward",
        "gn_bwd_no_xhat_term",
        "closed form misses the x_hat term",
        "your spatial_groupnorm_backward drops the x_hat * sum(dx_hat * x_hat) term of the closed form (sums "
        "over each group's (C // G, H, W) values).",
        xhat_term=False,
    ),
    _m(
        "spatial_groupnorm_backward",
        "gn_bwd_count_hw",
        "divides by H*W instead of the group's size",
        "your spatial_groupnorm_backward divides by H * W. A group has (C // G) * H * W values: use that count "
        "in the closed form.",
        count="hw",
    ),
    _m(
        "spatial_groupnorm_backward",
        "gn_bwd_no_gamma",
        "dx misses gamma",
        "your spatial_groupnorm_backward starts dx from dout instead of dx_hat = dout * gamma.",
        use_gamma=False,
    ),
    # instancenorm_forward
    _m(
        "instancenorm_forward",
        "in_stats_over_channels",
        "statistics over the channels (axis 1)",
        "your instancenorm_forward takes the statistics over the channels. Instance norm normalizes each sample "
        "and channel over its (H, W) values: axis=(2, 3), keepdims=True.",
        axis=(1,),
    ),
    _m(
        "instancenorm_forward",
        "in_stats_over_batch",
        "statistics over the batch too (spatial batch norm)",
        "your instancenorm_forward takes the statistics over the samples too (axes (0, 2, 3), as in spatial "
        "batch norm). Each sample has its own: axis=(2, 3).",
        axis=(0, 2, 3),
    ),
    _m(
        "instancenorm_forward",
        "in_var_unbiased",
        "unbiased variance (H*W - 1)",
        f"your instancenorm_forward divides the variance by H * W - 1. Use the biased variance: {_BIASED}.",
        ddof=1,
    ),
    _m(
        "instancenorm_forward",
        "in_eps_outside_sqrt",
        "eps outside the square root",
        f"your instancenorm_forward adds eps outside the square root. Instead {_EPS}.",
        eps_outside=True,
    ),
    _m(
        "instancenorm_forward",
        "in_eps_ignored",
        "in_param['eps'] ignored",
        "your instancenorm_forward ignores in_param['eps'] and always uses 1e-5. Read it with "
        "in_param.get('eps', 1e-5).",
        fixed_eps=1e-5,
    ),
    # instancenorm_backward
    _m(
        "instancenorm_backward",
        "in_bwd_no_mean_term",
        "dx misses the mean term",
        "your instancenorm_backward drops the - sum(dx_hat) term (the mean's share, sum over (H, W)).",
        mean_term=False,
    ),
    _m(
        "instancenorm_backward",
        "in_bwd_no_xhat_term",
        "closed form misses the x_hat term",
        "your instancenorm_backward drops the x_hat * sum(dx_hat * x_hat) term (sum over (H, W)).",
        xhat_term=False,
    ),
    _m(
        "instancenorm_backward",
        "in_bwd_params_keepdims",
        "dgamma/dbeta of shape (1, C, 1, 1)",
        "your instancenorm_backward returns dgamma and dbeta of shape (1, C, 1, 1). They have the shape of gamma "
        "and beta, (C,): sum over (0, 2, 3) without keepdims.",
        keepdims=True,
    ),
    _m(
        "instancenorm_backward",
        "in_bwd_count_chw",
        "divides by C*H*W instead of H*W",
        "your instancenorm_backward divides by C * H * W. Each (sample, channel) has H * W values: use that "
        "count in the closed form.",
        count="chw",
    ),
]
