"""Checks of the reference layers in solutions/layers (conv.py, norm.py).

Three independent kinds of evidence:
- every backward agrees with central differences of its own forward;
- the two implementations that must agree do (naive/fast conv, the two
  batchnorm backwards);
- every forward and backward agrees with PyTorch in float64 (CPU, autograd).
Plus the parts of the contract that are not numbers: running statistics,
test mode, param dicts, shapes, dtypes, and inputs left untouched.

Run from the repository root: .venv/bin/python -m pytest tests/test_reference_layers.py
"""

import copy
import importlib
import importlib.machinery
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

LAYERS_DIR = Path(__file__).resolve().parents[1] / "solutions" / "layers"
# The reference package is imported under a private name, as the grader does,
# so that it can never be confused with a `layers` package from assignment/
# or from a submission that another test may have imported.
PACKAGE = "_reference_layers_under_test"


def _import_reference():
    if PACKAGE not in sys.modules:
        spec = importlib.machinery.ModuleSpec(PACKAGE, None, is_package=True)
        spec.submodule_search_locations = [str(LAYERS_DIR)]
        sys.modules[PACKAGE] = importlib.util.module_from_spec(spec)
    return [importlib.import_module(PACKAGE + "." + name) for name in ("conv", "norm", "gradient_check")]


conv, norm, gradient_check = _import_reference()

torch.set_default_dtype(torch.float64)


# ----------------------------------------------------------------- helpers


def numeric_gradient(f, x, dout):
    """Central-difference estimate of d(sum(f(x) * dout))/dx, from the team's
    harness (solutions/layers/gradient_check.py: the central differences
    check_gradients runs), on a copy of x."""
    x = np.array(x, dtype=np.float64)
    evaluate = lambda: gradient_check._output_array(f(x), "f")  # noqa: E731
    weights = gradient_check._upstream(evaluate(), dout, "f")
    indices = list(np.ndindex(x.shape))
    return gradient_check._partials(evaluate, x, indices, weights, gradient_check.DEFAULT_H).reshape(x.shape)


def assert_grad_close(analytic, numeric, what=""):
    """Analytic vs central-difference gradient: the error of the difference
    quotient is ~1e-10 here, so 1e-7 of the gradient's scale is generous and
    still catches any real mistake."""
    assert analytic.shape == numeric.shape, what
    scale = max(1.0, float(np.max(np.abs(numeric))))
    err = float(np.max(np.abs(analytic - numeric)))
    assert err <= 1e-7 * scale, "%s: max abs error %.3g (scale %.3g)" % (what, err, scale)


def assert_same(a, b, what="", tol=1e-10):
    """Two float64 computations of the same quantity, different summation
    order only."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, "%s: shape %s vs %s" % (what, a.shape, b.shape)
    scale = max(1.0, float(np.max(np.abs(b))) if b.size else 1.0)
    err = float(np.max(np.abs(a - b))) if a.size else 0.0
    assert err <= tol * scale, "%s: max abs difference %.3g" % (what, err)


def check_array(a, shape, what=""):
    assert isinstance(a, np.ndarray), "%s is %r, not an ndarray" % (what, type(a))
    assert a.dtype == np.float64, "%s has dtype %s" % (what, a.dtype)
    assert a.shape == tuple(shape), "%s has shape %s, expected %s" % (what, a.shape, tuple(shape))


def frozen(a):
    """A read-only copy: any in-place write by the code under test raises."""
    a = np.array(a, dtype=np.float64)
    a.setflags(write=False)
    return a


def assert_param_untouched(param, before):
    """A test-mode call: every key keeps its value; the only keys that may
    be added are defaults ('eps' 1e-5, 'momentum' 0.9)."""
    for key, value in before.items():
        assert key in param, key
        assert np.array_equal(np.asarray(param[key]), np.asarray(value)), key
    added = set(param) - set(before)
    assert added <= {"eps", "momentum"}, added
    assert param.get("eps", 1e-5) == before.get("eps", 1e-5)
    assert param.get("momentum", 0.9) == before.get("momentum", 0.9)


def torch_leaf(a):
    return torch.tensor(np.array(a), dtype=torch.float64, requires_grad=True)


def grads(*tensors):
    return [t.grad.numpy() for t in tensors]


# -------------------------------------------------------------------- conv

# N, C, H, W, F, HH, WW, stride, pad
CONV_CASES = [
    (2, 3, 7, 5, 4, 3, 3, 1, 1),  # H != W
    (1, 1, 6, 6, 2, 2, 2, 2, 0),  # N = 1, C = 1, stride divides evenly
    (2, 3, 9, 7, 5, 3, 2, 3, 2),  # stride 3, pad 2, rectangular filter, uneven rows
    (3, 2, 9, 6, 1, 4, 3, 2, 1),  # F = 1, uneven in both directions
    (2, 4, 5, 7, 3, 1, 1, 1, 0),  # 1x1 filter
    (1, 2, 5, 5, 3, 5, 5, 1, 0),  # filter as large as the input: 1x1 output
    (2, 3, 10, 9, 2, 3, 3, 3, 0),  # stride 3, pad 0, last row unused
    (2, 2, 6, 8, 3, 2, 3, 2, 2),  # stride 2, pad 2, rectangular filter
    (4, 3, 5, 5, 2, 3, 3, 1, 2),  # pad 2, N > C
    (2, 1, 7, 7, 3, 3, 3, 3, 1),  # stride 3, pad 1, C = 1
    (2, 2, 4, 4, 2, 2, 2, 1, 2),  # pad as large as the filter: all-padding windows
    (2, 2, 9, 9, 2, 2, 2, 3, 0),  # stride larger than the filter: skipped pixels
]


def conv_case_id(case):
    N, C, H, W, F, HH, WW, s, p = case
    return "x%dx%dx%dx%d-w%dx%dx%dx%d-s%d-p%d" % (N, C, H, W, F, C, HH, WW, s, p)


def make_conv(case, seed=0):
    N, C, H, W, F, HH, WW, stride, pad = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, W))
    w = rng.standard_normal((F, C, HH, WW))
    b = rng.standard_normal(F)
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    dout = rng.standard_normal((N, F, H_out, W_out))
    return x, w, b, {"stride": stride, "pad": pad}, dout


CONV_IMPLS = {
    "naive": lambda: (conv.conv_forward_naive, conv.conv_backward_naive),
    "fast": lambda: (conv.conv_forward_fast, conv.conv_backward_fast),
}


@pytest.mark.parametrize("impl", sorted(CONV_IMPLS))
@pytest.mark.parametrize("case", CONV_CASES, ids=conv_case_id)
def test_conv_gradients_match_numeric(case, impl):
    forward, backward = CONV_IMPLS[impl]()
    x, w, b, conv_param, dout = make_conv(case)
    _, cache = forward(frozen(x), frozen(w), frozen(b), dict(conv_param))
    dx, dw, db = backward(frozen(dout), cache)
    assert_grad_close(dx, numeric_gradient(lambda v: forward(v, w, b, conv_param)[0], x, dout), "dx")
    assert_grad_close(dw, numeric_gradient(lambda v: forward(x, v, b, conv_param)[0], w, dout), "dw")
    assert_grad_close(db, numeric_gradient(lambda v: forward(x, w, v, conv_param)[0], b, dout), "db")


@pytest.mark.parametrize("case", CONV_CASES, ids=conv_case_id)
def test_conv_naive_and_fast_agree(case):
    x, w, b, conv_param, dout = make_conv(case, seed=1)
    out_n, cache_n = conv.conv_forward_naive(x, w, b, dict(conv_param))
    out_f, cache_f = conv.conv_forward_fast(x, w, b, dict(conv_param))
    assert_same(out_f, out_n, "out")
    for name, g_f, g_n in zip(
        ("dx", "dw", "db"), conv.conv_backward_fast(dout, cache_f), conv.conv_backward_naive(dout, cache_n)
    ):
        assert_same(g_f, g_n, name)


@pytest.mark.parametrize("impl", sorted(CONV_IMPLS))
@pytest.mark.parametrize("case", CONV_CASES, ids=conv_case_id)
def test_conv_matches_torch(case, impl):
    forward, backward = CONV_IMPLS[impl]()
    x, w, b, conv_param, dout = make_conv(case, seed=2)
    out, cache = forward(x, w, b, dict(conv_param))
    dx, dw, db = backward(dout, cache)

    xt, wt, bt = torch_leaf(x), torch_leaf(w), torch_leaf(b)
    out_t = TF.conv2d(xt, wt, bt, stride=conv_param["stride"], padding=conv_param["pad"])
    out_t.backward(torch.from_numpy(dout))
    assert_same(out, out_t.detach().numpy(), "out", tol=1e-12)
    for name, mine, theirs in zip(("dx", "dw", "db"), (dx, dw, db), grads(xt, wt, bt)):
        assert_same(mine, theirs, name, tol=1e-12)


@pytest.mark.parametrize("impl", sorted(CONV_IMPLS))
@pytest.mark.parametrize("case", CONV_CASES, ids=conv_case_id)
def test_conv_shapes_dtypes_and_inputs_untouched(case, impl):
    forward, backward = CONV_IMPLS[impl]()
    x, w, b, conv_param, dout = make_conv(case, seed=3)
    originals = [a.copy() for a in (x, w, b, dout)]
    param = dict(conv_param)
    out, cache = forward(x, w, b, param)
    assert isinstance(cache, tuple)
    check_array(out, dout.shape, "out")
    dx, dw, db = backward(dout, cache)
    check_array(dx, x.shape, "dx")
    check_array(dw, w.shape, "dw")
    check_array(db, b.shape, "db")
    for a, orig in zip((x, w, b, dout), originals):
        assert np.array_equal(a, orig)
    assert param == conv_param
    # The cache is not used up: a second backward gives the same gradients.
    for g1, g2 in zip((dx, dw, db), backward(dout, cache)):
        assert np.array_equal(g1, g2)


@pytest.mark.parametrize("name", ["conv_forward_fast", "conv_backward_fast"])
def test_conv_fast_loops_only_over_the_filter(name):
    """SPEC: no Python loop over N, H' or W'. The only loops allowed in the
    fast conv are over the filter extent: range(HH) and range(WW)."""
    import ast

    tree = ast.parse((LAYERS_DIR / "conv.py").read_text())
    func = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)
    for node in ast.walk(func):
        assert not isinstance(node, (ast.While, ast.comprehension)), ast.unparse(node)
        if isinstance(node, ast.For):
            assert ast.unparse(node.iter) in ("range(HH)", "range(WW)"), ast.unparse(node.iter)


# -------------------------------------------------------------- batchnorm

# N, D, bn_param extras
BN_CASES = [
    (4, 5, {}),
    (10, 6, {"eps": 1e-3, "momentum": 0.5}),
    (7, 1, {"eps": 0.1}),  # D = 1, eps large enough to matter
    (3, 8, {"momentum": 0.99}),
    (1, 3, {}),  # N = 1: zero variance, x_hat = 0
]


def bn_case_id(case):
    N, D, extra = case
    return "N%d-D%d-%s" % (N, D, "-".join("%s%g" % kv for kv in sorted(extra.items())) or "defaults")


def make_bn(N, D, seed=0):
    rng = np.random.default_rng(seed)
    x = 3.0 * rng.standard_normal((N, D)) + 1.5
    gamma = rng.standard_normal(D) + 1.0
    beta = rng.standard_normal(D)
    dout = rng.standard_normal((N, D))
    return x, gamma, beta, dout


BN_BACKWARDS = {
    "graph": lambda: norm.batchnorm_backward,
    "alt": lambda: norm.batchnorm_backward_alt,
}


@pytest.mark.parametrize("which", sorted(BN_BACKWARDS))
@pytest.mark.parametrize("case", BN_CASES, ids=bn_case_id)
def test_batchnorm_gradients_match_numeric(case, which):
    N, D, extra = case
    backward = BN_BACKWARDS[which]()
    x, gamma, beta, dout = make_bn(N, D)

    def fwd(x_, g_, b_):
        return norm.batchnorm_forward(x_, g_, b_, dict(extra, mode="train"))[0]

    _, cache = norm.batchnorm_forward(frozen(x), frozen(gamma), frozen(beta), dict(extra, mode="train"))
    dx, dgamma, dbeta = backward(frozen(dout), cache)
    assert_grad_close(dx, numeric_gradient(lambda v: fwd(v, gamma, beta), x, dout), "dx")
    assert_grad_close(dgamma, numeric_gradient(lambda v: fwd(x, v, beta), gamma, dout), "dgamma")
    assert_grad_close(dbeta, numeric_gradient(lambda v: fwd(x, gamma, v), beta, dout), "dbeta")


@pytest.mark.parametrize("case", BN_CASES, ids=bn_case_id)
def test_batchnorm_backward_equals_alt(case):
    N, D, extra = case
    x, gamma, beta, dout = make_bn(N, D, seed=1)
    _, cache = norm.batchnorm_forward(x, gamma, beta, dict(extra, mode="train"))
    for name, a, b in zip(
        ("dx", "dgamma", "dbeta"), norm.batchnorm_backward(dout, cache), norm.batchnorm_backward_alt(dout, cache)
    ):
        assert_same(a, b, name)


def test_batchnorm_backward_alt_does_not_call_the_graph_version(monkeypatch):
    x, gamma, beta, dout = make_bn(6, 4)
    _, cache = norm.batchnorm_forward(x, gamma, beta, {"mode": "train"})
    expected = norm.batchnorm_backward(dout, cache)

    def forbidden(*args, **kwargs):
        raise AssertionError("batchnorm_backward_alt called batchnorm_backward")

    monkeypatch.setattr(norm, "batchnorm_backward", forbidden)
    for a, b in zip(norm.batchnorm_backward_alt(dout, cache), expected):
        assert_same(a, b)


@pytest.mark.parametrize("which", sorted(BN_BACKWARDS))
@pytest.mark.parametrize("case", [c for c in BN_CASES if c[0] > 1], ids=bn_case_id)
def test_batchnorm_train_matches_torch(case, which):
    N, D, extra = case
    eps = extra.get("eps", 1e-5)
    x, gamma, beta, dout = make_bn(N, D, seed=2)
    out, cache = norm.batchnorm_forward(x, gamma, beta, dict(extra, mode="train"))
    dx, dgamma, dbeta = BN_BACKWARDS[which]()(dout, cache)

    xt, gt, bt = torch_leaf(x), torch_leaf(gamma), torch_leaf(beta)
    out_t = TF.batch_norm(xt, None, None, gt, bt, training=True, eps=eps)
    out_t.backward(torch.from_numpy(dout))
    assert_same(out, out_t.detach().numpy(), "out")
    for name, mine, theirs in zip(("dx", "dgamma", "dbeta"), (dx, dgamma, dbeta), grads(xt, gt, bt)):
        assert_same(mine, theirs, name)


@pytest.mark.parametrize("case", BN_CASES, ids=bn_case_id)
def test_batchnorm_running_statistics_follow_spec(case):
    N, D, extra = case
    eps = extra.get("eps", 1e-5)
    momentum = extra.get("momentum", 0.9)
    rng = np.random.default_rng(5)
    gamma, beta = rng.standard_normal(D), rng.standard_normal(D)
    bn_param = dict(extra, mode="train")
    expected_mean, expected_var = np.zeros(D), np.zeros(D)
    for step in range(4):
        x = (step + 1.0) * rng.standard_normal((N, D)) + step
        out, _ = norm.batchnorm_forward(frozen(x), frozen(gamma), frozen(beta), bn_param)
        mean, var = x.mean(axis=0), ((x - x.mean(axis=0)) ** 2).mean(axis=0)
        expected_mean = momentum * expected_mean + (1 - momentum) * mean
        expected_var = momentum * expected_var + (1 - momentum) * var
        check_array(out, (N, D), "out")
        assert_same(out, gamma * (x - mean) / np.sqrt(var + eps) + beta, "out, step %d" % step)
        check_array(np.asarray(bn_param["running_mean"]), (D,), "running_mean")
        check_array(np.asarray(bn_param["running_var"]), (D,), "running_var")
        assert_same(bn_param["running_mean"], expected_mean, "running_mean, step %d" % step, tol=1e-12)
        assert_same(bn_param["running_var"], expected_var, "running_var, step %d" % step, tol=1e-12)
        # 'mode', 'eps', 'momentum' keep their values (defaults may be added).
        assert bn_param["mode"] == "train"
        assert bn_param.get("eps", eps) == eps
        assert bn_param.get("momentum", momentum) == momentum
        for key, value in extra.items():
            assert bn_param[key] == value


def test_batchnorm_running_statistics_continue_from_given_arrays():
    rng = np.random.default_rng(6)
    N, D = 8, 3
    rm, rv = rng.standard_normal(D), rng.random(D) + 0.5
    x, gamma, beta, _ = make_bn(N, D, seed=6)
    bn_param = {"mode": "train", "momentum": 0.7, "running_mean": rm.copy(), "running_var": rv.copy()}
    norm.batchnorm_forward(x, gamma, beta, bn_param)
    assert_same(bn_param["running_mean"], 0.7 * rm + 0.3 * x.mean(axis=0), tol=1e-12)
    assert_same(bn_param["running_var"], 0.7 * rv + 0.3 * x.var(axis=0), tol=1e-12)


@pytest.mark.parametrize("case", BN_CASES, ids=bn_case_id)
def test_batchnorm_test_mode_uses_running_statistics_and_leaves_param_alone(case):
    N, D, extra = case
    eps = extra.get("eps", 1e-5)
    rng = np.random.default_rng(7)
    x, gamma, beta, _ = make_bn(N, D, seed=7)
    rm, rv = rng.standard_normal(D), rng.random(D) + 0.1
    bn_param = dict(extra, mode="test", running_mean=frozen(rm), running_var=frozen(rv))
    before = copy.deepcopy(bn_param)
    arrays_before = (bn_param["running_mean"], bn_param["running_var"])

    out, _ = norm.batchnorm_forward(frozen(x), frozen(gamma), frozen(beta), bn_param)
    check_array(out, (N, D), "out")
    assert_same(out, gamma * (x - rm) / np.sqrt(rv + eps) + beta, "out")
    out_t = TF.batch_norm(
        torch.from_numpy(x),
        torch.from_numpy(rm),
        torch.from_numpy(rv),
        torch.from_numpy(gamma),
        torch.from_numpy(beta),
        training=False,
        eps=eps,
    )
    assert_same(out, out_t.numpy(), "out vs torch")

    assert_param_untouched(bn_param, before)
    assert bn_param["running_mean"] is arrays_before[0]
    assert bn_param["running_var"] is arrays_before[1]


def test_batchnorm_test_mode_without_running_statistics_uses_zeros():
    x, gamma, beta, _ = make_bn(5, 4, seed=8)
    bn_param = {"mode": "test"}
    out, _ = norm.batchnorm_forward(x, gamma, beta, bn_param)
    assert_same(out, gamma * x / np.sqrt(1e-5) + beta)
    assert bn_param.get("running_mean", np.zeros(4)).tolist() == [0.0] * 4


@pytest.mark.parametrize("which", sorted(BN_BACKWARDS))
@pytest.mark.parametrize("case", BN_CASES, ids=bn_case_id)
def test_batchnorm_shapes_dtypes_and_inputs_untouched(case, which):
    N, D, extra = case
    x, gamma, beta, dout = make_bn(N, D, seed=9)
    originals = [a.copy() for a in (x, gamma, beta, dout)]
    out, cache = norm.batchnorm_forward(x, gamma, beta, dict(extra, mode="train"))
    assert isinstance(cache, tuple)
    check_array(out, (N, D), "out")
    dx, dgamma, dbeta = BN_BACKWARDS[which]()(dout, cache)
    check_array(dx, (N, D), "dx")
    check_array(dgamma, (D,), "dgamma")
    check_array(dbeta, (D,), "dbeta")
    for a, orig in zip((x, gamma, beta, dout), originals):
        assert np.array_equal(a, orig)


# ------------------------------------------------- spatial batchnorm

SBN_CASES = [(2, 3, 4, 5), (1, 1, 3, 2), (3, 4, 2, 2), (5, 2, 1, 3)]


def make_4d(shape, seed=0, param_shape=None):
    N, C, H, W = shape
    rng = np.random.default_rng(seed)
    x = 2.0 * rng.standard_normal(shape) + rng.standard_normal((1, C, 1, 1))
    # A spread over the spatial positions keeps every variance well above
    # eps, even with H * W = 2, so that central differences stay accurate.
    x = x + np.linspace(-1.5, 1.5, H * W).reshape(1, 1, H, W)
    p_shape = param_shape or (C,)
    gamma = rng.standard_normal(p_shape) + 1.0
    beta = rng.standard_normal(p_shape)
    dout = rng.standard_normal(shape)
    return x, gamma, beta, dout


@pytest.mark.parametrize("shape", SBN_CASES, ids=str)
def test_spatial_batchnorm_gradients_and_torch(shape):
    N, C, H, W = shape
    x, gamma, beta, dout = make_4d(shape)
    param = {"mode": "train", "eps": 1e-4, "momentum": 0.8}

    def fwd(x_, g_, b_):
        return norm.spatial_batchnorm_forward(x_, g_, b_, dict(param))[0]

    bn_param = dict(param)
    out, cache = norm.spatial_batchnorm_forward(frozen(x), frozen(gamma), frozen(beta), bn_param)
    dx, dgamma, dbeta = norm.spatial_batchnorm_backward(frozen(dout), cache)
    check_array(out, shape, "out")
    check_array(dx, shape, "dx")
    check_array(dgamma, (C,), "dgamma")
    check_array(dbeta, (C,), "dbeta")
    assert isinstance(cache, tuple)
    assert_grad_close(dx, numeric_gradient(lambda v: fwd(v, gamma, beta), x, dout), "dx")
    assert_grad_close(dgamma, numeric_gradient(lambda v: fwd(x, v, beta), gamma, dout), "dgamma")
    assert_grad_close(dbeta, numeric_gradient(lambda v: fwd(x, gamma, v), beta, dout), "dbeta")

    mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
    assert_same(bn_param["running_mean"], 0.2 * mean, "running_mean", tol=1e-12)
    assert_same(bn_param["running_var"], 0.2 * var, "running_var", tol=1e-12)
    assert (bn_param["mode"], bn_param["eps"], bn_param["momentum"]) == ("train", 1e-4, 0.8)

    xt, gt, bt = torch_leaf(x), torch_leaf(gamma), torch_leaf(beta)
    out_t = TF.batch_norm(xt, None, None, gt, bt, training=True, eps=1e-4)
    out_t.backward(torch.from_numpy(dout))
    assert_same(out, out_t.detach().numpy(), "out")
    for name, mine, theirs in zip(("dx", "dgamma", "dbeta"), (dx, dgamma, dbeta), grads(xt, gt, bt)):
        assert_same(mine, theirs, name)

    # Test mode: the running statistics, shape (C,); bn_param unchanged.
    rm = frozen(np.arange(C) * 0.5)
    rv = frozen(np.arange(C) + 1.0)
    test_param = {"mode": "test", "running_mean": rm, "running_var": rv}
    out, _ = norm.spatial_batchnorm_forward(frozen(x), frozen(gamma), frozen(beta), test_param)
    check_array(out, shape, "test out")
    out_t = TF.batch_norm(
        torch.from_numpy(x),
        torch.from_numpy(rm.copy()),
        torch.from_numpy(rv.copy()),
        torch.from_numpy(gamma),
        torch.from_numpy(beta),
        training=False,
        eps=1e-5,
    )
    assert_same(out, out_t.numpy(), "test out")
    assert_param_untouched(test_param, {"mode": "test", "running_mean": rm, "running_var": rv})


# ------------------------------------------------------ layer norm

LN_CASES = [(4, 5, {}), (1, 6, {}), (6, 3, {"eps": 0.1}), (3, 1, {})]


@pytest.mark.parametrize("case", LN_CASES, ids=str)
def test_layernorm_gradients_and_torch(case):
    N, D, ln_param = case
    eps = ln_param.get("eps", 1e-5)
    x, gamma, beta, dout = make_bn(N, D, seed=10)
    x = x + np.arange(N)[:, None]  # different statistics per sample
    originals = [a.copy() for a in (x, gamma, beta, dout)]

    def fwd(x_, g_, b_):
        return norm.layernorm_forward(x_, g_, b_, dict(ln_param))[0]

    param = dict(ln_param)
    out, cache = norm.layernorm_forward(frozen(x), frozen(gamma), frozen(beta), param)
    dx, dgamma, dbeta = norm.layernorm_backward(frozen(dout), cache)
    assert param.get("eps", eps) == eps
    assert isinstance(cache, tuple)
    check_array(out, (N, D), "out")
    check_array(dx, (N, D), "dx")
    check_array(dgamma, (D,), "dgamma")
    check_array(dbeta, (D,), "dbeta")
    assert_grad_close(dx, numeric_gradient(lambda v: fwd(v, gamma, beta), x, dout), "dx")
    assert_grad_close(dgamma, numeric_gradient(lambda v: fwd(x, v, beta), gamma, dout), "dgamma")
    assert_grad_close(dbeta, numeric_gradient(lambda v: fwd(x, gamma, v), beta, dout), "dbeta")

    xt, gt, bt = torch_leaf(x), torch_leaf(gamma), torch_leaf(beta)
    out_t = TF.layer_norm(xt, (D,), gt, bt, eps=eps)
    out_t.backward(torch.from_numpy(dout))
    assert_same(out, out_t.detach().numpy(), "out")
    for name, mine, theirs in zip(("dx", "dgamma", "dbeta"), (dx, dgamma, dbeta), grads(xt, gt, bt)):
        assert_same(mine, theirs, name)
    for a, orig in zip((x, gamma, beta, dout), originals):
        assert np.array_equal(a, orig)


# ------------------------------------------------------ group norm

# (N, C, H, W), G, gn_param
GN_CASES = [
    ((2, 6, 3, 4), 1, {}),
    ((2, 6, 3, 4), 2, {}),
    ((2, 6, 3, 4), 3, {"eps": 0.05}),
    ((2, 6, 3, 4), 6, {}),  # G = C
    ((1, 4, 2, 3), 2, {}),  # N = 1
    ((3, 1, 2, 2), 1, {}),  # C = 1
    ((2, 8, 1, 2), 4, {}),
]


@pytest.mark.parametrize("case", GN_CASES, ids=str)
def test_groupnorm_gradients_and_torch(case):
    shape, G, gn_param = case
    N, C, H, W = shape
    eps = gn_param.get("eps", 1e-5)
    x, gamma, beta, dout = make_4d(shape, seed=11, param_shape=(1, C, 1, 1))
    x = x + np.arange(N).reshape(N, 1, 1, 1)
    originals = [a.copy() for a in (x, gamma, beta, dout)]

    def fwd(x_, g_, b_):
        return norm.spatial_groupnorm_forward(x_, g_, b_, G, dict(gn_param))[0]

    param = dict(gn_param)
    out, cache = norm.spatial_groupnorm_forward(frozen(x), frozen(gamma), frozen(beta), G, param)
    dx, dgamma, dbeta = norm.spatial_groupnorm_backward(frozen(dout), cache)
    assert param.get("eps", eps) == eps
    assert isinstance(cache, tuple)
    check_array(out, shape, "out")
    check_array(dx, shape, "dx")
    check_array(dgamma, (1, C, 1, 1), "dgamma")
    check_array(dbeta, (1, C, 1, 1), "dbeta")
    assert_grad_close(dx, numeric_gradient(lambda v: fwd(v, gamma, beta), x, dout), "dx")
    assert_grad_close(dgamma, numeric_gradient(lambda v: fwd(x, v, beta), gamma, dout), "dgamma")
    assert_grad_close(dbeta, numeric_gradient(lambda v: fwd(x, gamma, v), beta, dout), "dbeta")

    xt, gt, bt = torch_leaf(x), torch_leaf(gamma.reshape(C)), torch_leaf(beta.reshape(C))
    out_t = TF.group_norm(xt, G, gt, bt, eps=eps)
    out_t.backward(torch.from_numpy(dout))
    assert_same(out, out_t.detach().numpy(), "out")
    dg_t, db_t = gt.grad.numpy().reshape(1, C, 1, 1), bt.grad.numpy().reshape(1, C, 1, 1)
    for name, mine, theirs in zip(("dx", "dgamma", "dbeta"), (dx, dgamma, dbeta), (xt.grad.numpy(), dg_t, db_t)):
        assert_same(mine, theirs, name)
    for a, orig in zip((x, gamma, beta, dout), originals):
        assert np.array_equal(a, orig)


# --------------------------------------------------- instance norm

IN_CASES = [((2, 3, 4, 5), {}), ((1, 1, 3, 3), {}), ((3, 2, 2, 3), {"eps": 0.1}), ((2, 4, 1, 2), {})]


@pytest.mark.parametrize("case", IN_CASES, ids=str)
def test_instancenorm_gradients_and_torch(case):
    shape, in_param = case
    N, C, H, W = shape
    eps = in_param.get("eps", 1e-5)
    x, gamma, beta, dout = make_4d(shape, seed=12)
    x = x + np.arange(N).reshape(N, 1, 1, 1)
    originals = [a.copy() for a in (x, gamma, beta, dout)]

    def fwd(x_, g_, b_):
        return norm.instancenorm_forward(x_, g_, b_, dict(in_param))[0]

    param = dict(in_param)
    out, cache = norm.instancenorm_forward(frozen(x), frozen(gamma), frozen(beta), param)
    dx, dgamma, dbeta = norm.instancenorm_backward(frozen(dout), cache)
    assert param.get("eps", eps) == eps
    assert isinstance(cache, tuple)
    check_array(out, shape, "out")
    check_array(dx, shape, "dx")
    check_array(dgamma, (C,), "dgamma")
    check_array(dbeta, (C,), "dbeta")
    assert_grad_close(dx, numeric_gradient(lambda v: fwd(v, gamma, beta), x, dout), "dx")
    assert_grad_close(dgamma, numeric_gradient(lambda v: fwd(x, v, beta), gamma, dout), "dgamma")
    assert_grad_close(dbeta, numeric_gradient(lambda v: fwd(x, gamma, v), beta, dout), "dbeta")

    xt, gt, bt = torch_leaf(x), torch_leaf(gamma), torch_leaf(beta)
    out_t = TF.instance_norm(xt, weight=gt, bias=bt, eps=eps)
    out_t.backward(torch.from_numpy(dout))
    assert_same(out, out_t.detach().numpy(), "out")
    for name, mine, theirs in zip(("dx", "dgamma", "dbeta"), (dx, dgamma, dbeta), grads(xt, gt, bt)):
        assert_same(mine, theirs, name)
    for a, orig in zip((x, gamma, beta, dout), originals):
        assert np.array_equal(a, orig)


# ---------------------------------------------- solution regions


@pytest.mark.parametrize("module", ["conv", "norm"])
def test_every_function_body_is_one_solution_region(module):
    """Each public function: docstring outside, body between the markers on
    their own lines, indented like the body; nothing else at module level
    but imports, the docstring and the functions."""
    import ast

    path = LAYERS_DIR / (module + ".py")
    source = path.read_text()
    lines = source.splitlines()
    tree = ast.parse(source)
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            assert (
                all(alias.name.split(".")[0] in ("numpy", "typing") for alias in node.names)
                if isinstance(node, ast.Import)
                else node.module.split(".")[0] in ("numpy", "typing")
            )
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue
        assert isinstance(node, ast.FunctionDef), "unexpected module-level %s" % type(node).__name__
        doc = ast.get_docstring(node)
        assert doc and "shape" in doc, node.name
        indent = " " * node.body[1].col_offset
        # Between the docstring and the first statement: only the marker.
        between = [line for line in lines[node.body[0].end_lineno : node.body[1].lineno - 1] if line.strip()]
        assert between == [indent + "### BEGIN SOLUTION"], (node.name, between)
        end_idx = next(i for i in range(node.body[1].lineno, node.end_lineno) if lines[i].strip() == "### END SOLUTION")
        assert lines[end_idx] == indent + "### END SOLUTION", node.name
        # After the region: only the return statement.
        rest = [line for line in lines[end_idx + 1 : node.end_lineno] if line.strip()]
        assert len(rest) == 1 and rest[0].strip().startswith("return "), (node.name, rest)
