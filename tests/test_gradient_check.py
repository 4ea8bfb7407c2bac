"""Tests of the gradient-check harness, solutions/layers/gradient_check.py.

The module is loaded from its file under a private name, the way the
autograder loads its trusted copy, so these tests need no package set-up.

Besides behaviour, the tests at the end measure the numbers that justify the
default step size and tolerances quoted in docs/GRADIENT_CHECK.md; run
``pytest -s tests/test_gradient_check.py -k measured`` to see them printed.
"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

MODULE_PATH = Path(__file__).resolve().parents[1] / "solutions" / "layers" / "gradient_check.py"


def _load():
    spec = importlib.util.spec_from_file_location("_gradient_check_under_test", MODULE_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gc = _load()


def numerical_gradient(f, x, dout=None, h=gc.DEFAULT_H):
    """The harness's own central differences of ``f(x)`` (a number) or ``sum(f(x) * dout)``, x's shape.

    The module's private pieces, the ones check_gradients runs: x is
    perturbed in place and restored exactly, f's output is copied.
    """
    evaluate = lambda: gc._output_array(f(x), "f")  # noqa: E731
    weights = gc._upstream(evaluate(), dout, "f")
    return gc._partials(evaluate, x, list(np.ndindex(x.shape)), weights, h).reshape(x.shape)


def classic_rel_error(x, y):
    """The classic course measure ``max |x - y| / max(1e-8, |x| + |y|)`` (not in the harness: its floor is
    far below finite-difference noise, docs/GRADIENT_CHECK.md)."""
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


# ---------------------------------------------------------------------------
# Small functions with known gradients (numpy only)
# ---------------------------------------------------------------------------


def softmax(x):
    """Row-wise softmax of x (N, D)."""
    shifted = np.exp(x - x.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def softmax_backward(dout, x):
    s = softmax(x)
    return s * (dout - np.sum(dout * s, axis=1, keepdims=True))


def layernorm(x, eps=1e-5):
    """Per-row normalization of x (N, D), no scale or shift."""
    centered = x - x.mean(axis=1, keepdims=True)
    return centered / np.sqrt(centered.var(axis=1, keepdims=True) + eps)


def layernorm_backward(dout, x, eps=1e-5):
    std = np.sqrt(x.var(axis=1, keepdims=True) + eps)
    xhat = (x - x.mean(axis=1, keepdims=True)) / std
    return (dout - dout.mean(axis=1, keepdims=True) - xhat * np.mean(dout * xhat, axis=1, keepdims=True)) / std


def batchnorm(x, gamma, beta, eps=1e-5):
    """Train-mode batch normalization of x (N, D)."""
    xhat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps)
    return gamma * xhat + beta


def batchnorm_backward_dx(dout, x, gamma, eps=1e-5, drop_mean_term=False, no_eps=False):
    """dx of ``batchnorm``; the flags plant two realistic bugs."""
    std = np.sqrt(x.var(axis=0) + (0.0 if no_eps else eps))
    xhat = (x - x.mean(axis=0)) / std
    dxhat = dout * gamma
    mean_term = 0.0 if drop_mean_term else dxhat.mean(axis=0)
    return (dxhat - mean_term - xhat * np.mean(dxhat * xhat, axis=0)) / std


def affine_case(rng, x_shape=(2, 3, 4, 4), d_out=4):
    """``x @ w + b`` over the last axis, with its exact gradients."""
    x = rng.standard_normal(x_shape)
    w = rng.standard_normal((x_shape[-1], d_out))
    b = rng.standard_normal(d_out)
    dout = rng.standard_normal(x_shape[:-1] + (d_out,))
    grads = {
        "x": dout @ w.T,
        "w": x.reshape(-1, x_shape[-1]).T @ dout.reshape(-1, d_out),
        "b": dout.reshape(-1, d_out).sum(axis=0),
    }
    return (lambda x, w, b: x @ w + b), {"x": x, "w": w, "b": b}, grads, dout


# ---------------------------------------------------------------------------
# Numerical gradients of known functions
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "f, grad",
    [
        (lambda x: np.sum(x**3 - 2 * x**2 + 0.5 * x), lambda x: 3 * x**2 - 4 * x + 0.5),
        (lambda x: np.sum(np.sin(3 * x) * x), lambda x: 3 * np.cos(3 * x) * x + np.sin(3 * x)),
        (lambda x: float(np.log(np.sum(np.exp(x)))), lambda x: softmax(x.reshape(1, -1)).reshape(x.shape)),
    ],
    ids=["polynomial", "sin", "logsumexp"],
)
def test_numerical_gradient_of_scalar_functions(f, grad):
    x = np.random.default_rng(0).standard_normal((3, 4))
    numerical = numerical_gradient(f, x)
    assert numerical.shape == x.shape and numerical.dtype == np.float64
    assert np.max(np.abs(numerical - grad(x))) < 1e-8 * max(1.0, np.max(np.abs(grad(x))))
    assert classic_rel_error(numerical, grad(x)) < 1e-7


def test_numerical_gradient_array_of_matrix_product_and_softmax():
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((4, 5)), rng.standard_normal((5, 3))
    dout = rng.standard_normal((4, 3))
    dx = numerical_gradient(lambda x: x @ w, x, dout)
    dw = numerical_gradient(lambda w: x @ w, w, dout)
    np.testing.assert_allclose(dx, dout @ w.T, rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(dw, x.T @ dout, rtol=1e-8, atol=1e-9)

    scores, dprobs = 3 * rng.standard_normal((4, 6)), rng.standard_normal((4, 6))
    numerical = numerical_gradient(softmax, scores, dprobs)
    np.testing.assert_allclose(numerical, softmax_backward(dprobs, scores), rtol=1e-6, atol=1e-9)


def test_output_is_copied_so_the_identity_function_works():
    # f returns x itself; without a copy, out_plus would change when x does.
    rng = np.random.default_rng(2)
    x, df = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    np.testing.assert_allclose(numerical_gradient(lambda x: x, x, df), df, rtol=1e-9)


def test_division_by_the_actual_step_makes_linear_functions_exact():
    # x_i + h is rounded; at |x| ~ 1e3 the step then differs from 2h by
    # about 1e-8 relative. Dividing by the step actually taken makes the
    # central difference of the identity exact up to one rounding.
    rng = np.random.default_rng(20)
    x = 1e3 + rng.standard_normal(50)
    df = rng.standard_normal(50)
    numerical = numerical_gradient(lambda x: x, x, df)
    np.testing.assert_allclose(numerical, df, rtol=1e-15, atol=0)


def test_x_is_restored_exactly():
    x = np.array([0.1, 1 / 3, 2 / 3, 1e3 + 0.1, -7.3, 123456.789, 1e-7, 0.0])
    # These values do not survive "add h, subtract h", so restoring by
    # arithmetic would be caught by the byte comparison below.
    h = gc.DEFAULT_H
    assert any((v + h) - h != v for v in x)
    before = x.tobytes()
    numerical_gradient(lambda x: float(np.sum(np.sin(x))), x)
    assert x.tobytes() == before
    numerical_gradient(lambda x: np.cos(x), x, np.ones_like(x))
    assert x.tobytes() == before


def test_x_is_restored_when_f_raises():
    x = np.random.default_rng(3).standard_normal(5)
    before = x.tobytes()
    calls = []

    def f(x):
        calls.append(1)
        if len(calls) == 3:  # the first call checks f; fail mid-difference
            raise RuntimeError("boom")
        return float(np.sum(x))

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(f, x)
    assert x.tobytes() == before


def test_check_gradients_never_changes_the_callers_arrays():
    f, inputs, grads, dout = affine_case(np.random.default_rng(4))
    before = {k: v.tobytes() for k, v in inputs.items()}
    assert gc.check_gradients(f, inputs, grads, dout).passed
    assert {k: v.tobytes() for k, v in inputs.items()} == before


# ---------------------------------------------------------------------------
# Zero gradients: the measure must not raise false alarms
# ---------------------------------------------------------------------------


def test_exactly_zero_gradient_passes_where_rel_error_reports_about_1e_3():
    # The sum of a normalized row is constant, so rows of dout that are
    # constant give an exactly zero gradient there; numerically it is noise.
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 6))
    dout = rng.standard_normal((4, 6))
    dout[0] = 1.0
    dout[2] = -2.5
    analytic = layernorm_backward(dout, x)
    numerical = numerical_gradient(layernorm, x.copy(), dout)

    naive = classic_rel_error(analytic, numerical)
    assert naive > 1e-4, "the classic measure should be fooled here"
    assert np.max(np.abs(numerical[[0, 2]])) < 1e-9  # noise, not a gradient

    result = gc.check_gradients(layernorm, {"x": x}, {"x": analytic}, dout)
    assert result.passed, str(result)
    assert result["x"].elementwise.error < gc.DEFAULT_RTOL / 10


def test_zero_gradient_from_truncation_error_passes():
    # d/dx x**3 = 0 at x = 0, but the central difference gives h**2 = 1e-10.
    x = np.array([[0.0, 1.3, -0.7], [0.0, 0.0, 2.1]])
    f = lambda x: float(np.sum(x**3))  # noqa: E731
    analytic = 3 * x**2
    assert classic_rel_error(analytic, numerical_gradient(f, x)) > 1e-3
    result = gc.check_gradients(f, {"x": x}, {"x": analytic})
    assert result.passed, str(result)


# ---------------------------------------------------------------------------
# Wrong gradients are caught and located
# ---------------------------------------------------------------------------


def test_gradient_off_by_a_factor_fails():
    f, inputs, grads, dout = affine_case(np.random.default_rng(6))
    grads["w"] = grads["w"] * 1.01
    result = gc.check_gradients(f, inputs, grads, dout)
    assert not result.passed
    assert result["x"].passed and result["b"].passed
    check = result["w"]
    assert not check.elementwise.passed and not check.projection.passed
    assert 0.0099 < check.elementwise.error < 0.0101  # exactly the 1% we planted
    assert [c.name for c in result.failures] == ["w"]


def test_single_wrong_element_is_located_with_both_values():
    f, inputs, grads, dout = affine_case(np.random.default_rng(7))
    true_dx = grads["x"].copy()
    grads["x"][1, 0, 2, 3] += 0.25
    result = gc.check_gradients(f, inputs, grads, dout)
    check = result["x"].elementwise
    assert not check.passed and check.problem == "values"
    assert check.index == (1, 0, 2, 3)
    assert check.mismatches == 1 and check.size == true_dx.size
    assert check.actual_value == grads["x"][1, 0, 2, 3]
    assert abs(check.expected_value - true_dx[1, 0, 2, 3]) < 1e-8
    analytic, numerical = gc._format_pair(check.actual_value, check.expected_value)
    message = str(result)
    assert f"dx: error {check.error:.1e} > 1e-06 at index (1, 0, 2, 3)" in message
    assert f"analytic {analytic}, numerical {numerical}" in message
    assert "dw: ok" in message and "db: ok" in message


def test_transposed_weight_gradient_fails_at_an_off_diagonal_element():
    f, inputs, grads, dout = affine_case(np.random.default_rng(8), x_shape=(6, 5), d_out=5)
    true_dw = grads["w"]
    grads["w"] = true_dw.T.copy()
    check = gc.check_gradients(f, inputs, grads, dout)["w"].elementwise
    assert not check.passed
    i, j = check.index
    assert i != j  # the diagonal of a transpose is right
    assert check.actual_value == true_dw[j, i]
    assert abs(check.expected_value - true_dw[i, j]) < 1e-8
    relative = np.abs(true_dw.T - true_dw) / np.abs(true_dw)
    assert (i, j) == np.unravel_index(np.argmax(relative), relative.shape)


def test_batchnorm_missing_term_fails():
    rng = np.random.default_rng(9)
    x, gamma, beta = 2 * rng.standard_normal((6, 4)) + 1, rng.standard_normal(4), rng.standard_normal(4)
    dout = rng.standard_normal((6, 4))
    inputs = {"x": x, "gamma": gamma, "beta": beta}
    good = gc.check_gradients(batchnorm, inputs, {"x": batchnorm_backward_dx(dout, x, gamma)}, dout)
    assert good.passed, str(good)
    bad = gc.check_gradients(batchnorm, inputs, {"x": batchnorm_backward_dx(dout, x, gamma, drop_mean_term=True)}, dout)
    assert not bad.passed and bad["x"].elementwise.error > 1e-2


def test_wrong_shape_none_and_nan_gradients_are_reported_not_raised():
    f, inputs, grads, dout = affine_case(np.random.default_rng(10))
    grads["x"] = grads["x"][0]
    grads["w"] = None
    grads["b"] = np.full(4, np.nan)
    result = gc.check_gradients(f, inputs, grads, dout)
    assert result["x"].elementwise.problem == "shape"
    assert result["w"].elementwise.problem == "type"
    assert result["b"].elementwise.problem == "nonfinite"
    assert result["b"].elementwise.nonfinite_side == "actual"
    text = str(result)
    assert "dx: analytic has shape (3, 4, 4), numerical has shape (2, 3, 4, 4)" in text
    assert "dw: analytic is None, not a numpy array" in text
    assert "db: analytic not finite (NaN or inf) at index (0,)" in text


def test_float32_analytic_gradient_is_a_dtype_failure():
    f, inputs, grads, dout = affine_case(np.random.default_rng(11))
    grads["b"] = grads["b"].astype(np.float32)
    check = gc.check_gradients(f, inputs, grads, dout)["b"]
    assert not check.passed and check.elementwise.problem == "dtype"
    assert "db: analytic has dtype float32, numerical has dtype float64" in str(check)


# ---------------------------------------------------------------------------
# Sparse and projection checks
# ---------------------------------------------------------------------------


def sparse_check(f, x, analytic, num_checks, seed):
    """check_gradients' sparse check alone: ``num_checks`` random coordinates of x, no projection."""
    return gc.check_gradients(
        f, {"x": x}, {"x": analytic}, max_full_size=0, num_checks=num_checks, projection=False, seed=seed
    )["x"]


def test_sparse_check_finds_a_systematic_error_for_every_seed():
    rng = np.random.default_rng(12)
    x = rng.standard_normal((10, 10))
    f = lambda x: float(np.sum(np.tanh(x)))  # noqa: E731
    good, bad = 1 - np.tanh(x) ** 2, 1.01 * (1 - np.tanh(x) ** 2)
    for seed in range(30):
        assert sparse_check(f, x, good, num_checks=3, seed=seed).passed
        assert not sparse_check(f, x, bad, num_checks=3, seed=seed).passed


def test_sparse_check_finds_a_single_wrong_element_with_probability_k_over_n():
    # n = 100 elements, k = 10 checks: detection probability exactly 0.1, and
    # a detection happens exactly when the wrong element is sampled.
    rng = np.random.default_rng(13)
    x = rng.standard_normal((10, 10))
    f = lambda x: float(np.sum(np.sin(x)))  # noqa: E731
    analytic = np.cos(x)
    analytic[4, 7] += 0.05
    detected = 0
    for seed in range(300):
        check = sparse_check(f, x, analytic, num_checks=10, seed=seed)
        sampled = check.elementwise.sampled_indices
        assert len(set(sampled)) == 10 == check.checked
        assert check.passed == ((4, 7) not in sampled)
        if not check.passed:
            assert check.elementwise.index == (4, 7)
            detected += 1
    print(f"\nsparse check, 10 of 100 elements: single wrong element found {detected}/300 times")
    assert 15 <= detected <= 45  # binomial(300, 0.1): mean 30, sd 5.2


def test_check_gradients_goes_sparse_above_the_threshold_and_projection_backs_it_up():
    f, inputs, grads, dout = affine_case(np.random.default_rng(14), x_shape=(8, 3, 8, 8), d_out=8)
    assert inputs["x"].size > gc.MAX_FULL_SIZE
    result = gc.check_gradients(f, inputs, grads, dout)
    assert result.passed, str(result)
    assert result["x"].method == "sparse" and result["x"].checked == gc.DEFAULT_NUM_CHECKS
    assert result["w"].method == "full"
    assert "20 random elements of 1536" in str(result)

    # One wrong element the sample misses is still caught by the projection.
    sampled = set(result["x"].elementwise.sampled_indices)
    wrong = next(ix for ix in np.ndindex(inputs["x"].shape) if ix not in sampled)
    grads["x"][wrong] += 0.1
    result = gc.check_gradients(f, inputs, grads, dout)
    assert result["x"].elementwise.passed and not result["x"].projection.passed
    assert not result["x"].passed and not result.passed
    assert "dx (random projection): error" in str(result)


def test_projection_check_finds_a_single_wrong_element_for_every_seed():
    # The element's error shifts sum(dx * u) by 0.1 * u_i, u_i a standard
    # normal over sqrt(n); the shift stays inside rtol * |sum(dx * u)| only if
    # |u_i| is tiny: probability about rtol * norm(dx) / 0.1 ~ 1e-4 per draw.
    f, inputs, grads, dout = affine_case(np.random.default_rng(15))

    def projections(seed):
        result = gc.check_gradients(f, inputs, grads, dout, seed=seed)
        return {name: check.projection for name, check in result.checks.items()}

    assert all(c.passed for c in projections(0).values())
    grads["x"][0, 1, 2, 3] += 0.1
    for seed in range(200):
        results = projections(seed)
        assert not results["x"].passed and results["w"].passed and results["b"].passed


def test_directional_derivative_pure_pieces_match_a_linear_map():
    # For f(x) = A x the central difference is exact: v . A u.
    rng = np.random.default_rng(16)
    a, x, v = rng.standard_normal((7, 5)), rng.standard_normal(5), rng.standard_normal(7)
    u = gc._random_direction(x.shape, seed=3)
    assert abs(np.linalg.norm(u) - 1) < 1e-12
    np.testing.assert_array_equal(u, gc._random_direction(x.shape, seed=3))
    h = gc.DEFAULT_H
    plus, minus = a @ (x + h * u), a @ (x - h * u)
    numerical = gc.directional_derivative(plus, minus, v, h)
    analytic = float(v @ a @ u)
    assert abs(numerical - analytic) < 1e-9
    noise = gc.finite_difference_noise(plus, minus, v, h)
    assert 0 < noise < 1e-9
    atol = gc.noise_tolerance(noise)
    assert gc.compare_scalars(analytic, numerical, rtol=gc.DEFAULT_RTOL, atol=atol).passed
    wrong = gc.compare_scalars(1.001 * analytic, numerical, rtol=gc.DEFAULT_RTOL, atol=atol)
    assert not wrong.passed and abs(wrong.error - 1e-3) < 1e-5
    assert wrong.index == () and "at index" not in str(wrong)


# ---------------------------------------------------------------------------
# Refusing what cannot work
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.float16])
def test_non_float64_input_raises_type_error_saying_how_to_fix(dtype):
    x = np.arange(6).reshape(2, 3).astype(dtype)
    with pytest.raises(TypeError, match=rf"x has dtype {np.dtype(dtype)}.*x\.astype\(np\.float64\)"):
        gc.check_gradients(lambda x: float(np.sum(x)), {"x": x}, {})
    f, inputs, grads, dout = affine_case(np.random.default_rng(17))
    inputs["w"] = inputs["w"].astype(dtype)
    with pytest.raises(TypeError, match=rf"w has dtype {np.dtype(dtype)}.*w\.astype\(np\.float64\)"):
        gc.check_gradients(f, inputs, grads, dout)


def test_other_misuse_gives_clear_errors():
    f, inputs, grads, dout = affine_case(np.random.default_rng(18))
    with pytest.raises(TypeError, match=r"dout has dtype float32"):
        gc.check_gradients(f, inputs, grads, dout.astype(np.float32))
    with pytest.raises(TypeError, match=r"must be a numpy array.*np\.asarray"):
        gc.check_gradients(lambda x: 0.0, {"x": [1.0, 2.0]}, {})
    with pytest.raises(ValueError, match=r"dout has shape \(2, 3\)"):
        gc.check_gradients(f, inputs, grads, np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"not input names.*\['x', 'w', 'b'\]"):
        gc.check_gradients(f, inputs, {"dx": grads["x"]}, dout)
    with pytest.raises(TypeError, match=r"returned a tuple.*\[0\]"):
        gc.check_gradients(lambda x, w, b: (x @ w + b, None), inputs, grads, dout)
    with pytest.raises(TypeError, match=r"returned an array of dtype float32"):
        gc.check_gradients(lambda x, w, b: (x @ w + b).astype(np.float32), inputs, grads, dout)
    with pytest.raises(ValueError, match=r"no upstream gradient"):
        gc.check_gradients(f, inputs, grads)

    def sloppy(x, w, b):
        x -= x.mean()
        return x @ w + b

    with pytest.raises(ValueError, match=r"modified its input 'x'"):
        gc.check_gradients(sloppy, inputs, grads, dout)


# ---------------------------------------------------------------------------
# compare_arrays
# ---------------------------------------------------------------------------


def test_compare_arrays_passes_equal_and_nearly_equal_arrays():
    rng = np.random.default_rng(19)
    expected = rng.standard_normal((3, 4))
    expected[0, 0] = 0.0
    assert gc.compare_arrays(expected.copy(), expected).passed
    nearly = expected * (1 + 1e-9) + 1e-12  # relative 1e-9; 1e-12 on the zero
    result = gc.compare_arrays(nearly, expected)
    assert result.passed and result.problem is None and result.error < gc.COMPARE_RTOL


def test_compare_arrays_reports_the_worst_element():
    expected = np.arange(1.0, 25.0).reshape(2, 3, 4)
    actual = expected.copy()
    actual[1, 2, 0] *= 1.5
    actual[0, 1, 1] *= 1.1
    result = gc.compare_arrays(actual, expected, name="out")
    assert not result.passed and result.problem == "values"
    assert result.index == (1, 2, 0) and result.mismatches == 2 and result.size == 24
    assert result.actual_value == 31.5 and result.expected_value == 21.0
    assert abs(result.error - 0.5) < 1e-12
    assert str(result) == (
        "out: error 5.0e-01 > 1e-07 at index (1, 2, 0): actual 31.5, expected 21 (2 of 24 elements outside tolerance)"
    )


def test_compare_arrays_uses_atol_for_elements_near_zero():
    expected = np.array([0.0, 1e-12, 1.0])
    assert gc.compare_arrays(np.array([5e-11, 0.0, 1.0]), expected, rtol=1e-7, atol=1e-10).passed
    failed = gc.compare_arrays(np.array([5e-9, 0.0, 1.0]), expected, rtol=1e-7, atol=1e-10)
    assert not failed.passed and failed.index == (0,)
    # Below atol / rtol the error is the absolute error scaled by rtol / atol.
    assert abs(failed.error - 5e-9 / (1e-10 / 1e-7)) < 1e-15


def test_compare_arrays_reports_shape_dtype_type_and_nonfinite_as_data():
    expected = np.zeros((2, 3))
    shape = gc.compare_arrays(np.zeros((3, 2)), expected, name="out")
    assert (shape.passed, shape.problem, shape.actual_shape, shape.expected_shape) == (False, "shape", (3, 2), (2, 3))
    assert str(shape) == "out: actual has shape (3, 2), expected has shape (2, 3)"

    dtype = gc.compare_arrays(np.zeros((2, 3), dtype=np.float32), expected, name="out")
    assert (dtype.passed, dtype.problem, dtype.actual_dtype, dtype.expected_dtype) == (
        False,
        "dtype",
        "float32",
        "float64",
    )
    assert dtype.error == 0.0  # the values were still compared

    obj = gc.compare_arrays(np.array([["a"] * 3] * 2), expected, name="out")
    assert obj.problem == "dtype" and obj.error is None

    for not_array in (None, [[0.0] * 3] * 2, (1, 2)):
        typed = gc.compare_arrays(not_array, expected)
        assert typed.problem == "type" and not typed.passed
        assert typed.actual_type == type(not_array).__name__

    actual = np.zeros((2, 3))
    actual[1, 2] = np.nan
    actual[0, 1] = np.inf
    nan = gc.compare_arrays(actual, expected, name="out")
    assert (nan.passed, nan.problem, nan.nonfinite_side, nan.index, nan.mismatches) == (
        False,
        "nonfinite",
        "actual",
        (0, 1),
        2,
    )
    assert nan.error == np.inf
    assert str(nan).startswith("out: actual not finite (NaN or inf) at index (0, 1)")

    reference_nan = expected.copy()
    reference_nan[1, 1] = np.nan
    side = gc.compare_arrays(np.zeros((2, 3)), reference_nan)
    assert side.problem == "nonfinite" and side.nonfinite_side == "expected"


def test_compare_arrays_tolerances_are_keyword_only_and_checked():
    with pytest.raises(TypeError):
        gc.compare_arrays(np.zeros(2), np.zeros(2), 1e-6, 1e-8)
    with pytest.raises(ValueError, match="rtol must be positive"):
        gc.compare_arrays(np.zeros(2), np.zeros(2), rtol=0.0)
    with pytest.raises(ValueError, match="atol"):
        gc.compare_arrays(np.zeros(2), np.zeros(2), atol=-1.0)
    assert gc.compare_arrays(np.zeros(0), np.zeros(0)).passed


# ---------------------------------------------------------------------------
# Measured margins behind the defaults (PyTorch as an independent oracle)
# ---------------------------------------------------------------------------


def _torch_battery(seed):
    """Correct layers: (name, numpy forward, inputs, exact gradients, dout).

    The forward passes and their gradients come from PyTorch autograd in
    float64, independent of anything in the module under test.
    """
    import torch  # a test dependency (pyproject [test]); never skipped

    torch.set_num_threads(1)  # tiny tensors: threads only add overhead
    F = torch.nn.functional
    rng = np.random.default_rng(seed)
    r = lambda *shape: rng.standard_normal(shape)  # noqa: E731
    labels = torch.from_numpy(rng.integers(0, 7, size=5))
    bn = lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True, eps=1e-5)  # noqa: E731
    cases = [
        ("affine", lambda x, w, b: x @ w + b, dict(x=r(4, 5), w=r(5, 5), b=r(5))),
        ("tanh", lambda x, w: torch.tanh(x @ w), dict(x=r(4, 5), w=r(5, 3))),
        ("softmax", lambda x: torch.softmax(3 * x, dim=1), dict(x=r(4, 6))),
        ("softmax loss", lambda x: F.cross_entropy(2 * x, labels), dict(x=r(5, 7))),
        (
            "two-layer loss",
            lambda x, w1, w2: F.cross_entropy(torch.tanh(x @ w1) @ w2, labels),
            dict(x=r(5, 4), w1=r(4, 6), w2=r(6, 7)),
        ),
        ("batchnorm", bn, dict(x=2 * r(6, 4) + 1, g=r(4), b=r(4))),
        ("batchnorm 5x+12", bn, dict(x=5 * r(6, 4) + 12, g=r(4), b=r(4))),
        ("spatial batchnorm", bn, dict(x=r(3, 4, 3, 3), g=r(4), b=r(4))),
        ("layernorm", lambda x, g, b: F.layer_norm(x, (5,), g, b, eps=1e-5), dict(x=r(4, 5), g=r(5), b=r(5))),
        (
            "groupnorm",
            lambda x, g, b: F.group_norm(x, 2, g.reshape(-1), b.reshape(-1), eps=1e-5),
            dict(x=r(2, 4, 3, 3), g=r(1, 4, 1, 1), b=r(1, 4, 1, 1)),
        ),
        (
            "instancenorm",
            lambda x, g, b: F.instance_norm(x, weight=g, bias=b, eps=1e-5),
            dict(x=r(2, 3, 4, 4), g=r(3), b=r(3)),
        ),
        (
            "conv s1 p1",
            lambda x, w, b: F.conv2d(x, w, b, stride=1, padding=1),
            dict(x=r(2, 3, 5, 5), w=r(4, 3, 3, 3), b=r(4)),
        ),
        (
            "conv s2 p0",
            lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=0),
            dict(x=r(2, 3, 6, 7), w=r(2, 3, 3, 2), b=r(2)),
        ),
    ]
    for name, forward, inputs in cases:

        def numpy_forward(*arrays, forward=forward):
            with torch.no_grad():
                return forward(*[torch.from_numpy(a) for a in arrays]).numpy()

        tensors = [torch.from_numpy(a.copy()).requires_grad_(True) for a in inputs.values()]
        out = forward(*tensors)
        dout = None if out.ndim == 0 else rng.standard_normal(tuple(out.shape))
        grads = torch.autograd.grad(out, tensors, None if dout is None else torch.from_numpy(dout))
        yield name, numpy_forward, inputs, {k: g.numpy().copy() for k, g in zip(inputs, grads)}, dout


def test_measured_margin_of_correct_layers():
    """Correct layers stay far below DEFAULT_RTOL (quoted in the docstring)."""
    worst, where = 0.0, None
    for seed in range(3):
        for name, f, inputs, grads, dout in _torch_battery(seed):
            result = gc.check_gradients(f, inputs, grads, dout, seed=seed)
            assert result.passed, f"{name}, seed {seed}:\n{result}"
            for key, check in result.checks.items():
                for comparison in (check.elementwise, check.projection):
                    if comparison.error > worst:
                        worst, where = comparison.error, f"{name} d{key}"
    print(
        f"\ncorrect layers: worst error {worst:.1e} ({where}), "
        f"{gc.DEFAULT_RTOL / worst:.0f}x below rtol {gc.DEFAULT_RTOL:.0e}"
    )
    assert worst <= gc.DEFAULT_RTOL / 10


def test_measured_margin_of_wrong_gradients():
    """Plausible wrong gradients stay far above DEFAULT_RTOL."""
    smallest, where = np.inf, None
    for seed in range(2):
        for name, f, inputs, grads, dout in _torch_battery(seed):
            for key, grad in grads.items():
                wrong = {"scaled by 1.01": 1.01 * grad, "sign flipped": -grad}
                if grad.ndim == 2 and grad.shape[0] == grad.shape[1]:
                    wrong["transposed"] = grad.T.copy()
                if grad.ndim >= 1 and grad.shape[0] > 1:
                    wrong["rows reversed"] = grad[::-1].copy()
                for kind, bad in wrong.items():
                    check = gc.check_gradients(f, inputs, {key: bad}, dout, projection=False)[key]
                    assert not check.elementwise.passed, f"{name} d{key} {kind}"
                    if check.elementwise.error < smallest:
                        smallest, where = check.elementwise.error, f"{name} d{key} {kind}"
    print(
        f"\nwrong gradients: smallest error {smallest:.1e} ({where}), "
        f"{smallest / gc.DEFAULT_RTOL:.0f}x above rtol {gc.DEFAULT_RTOL:.0e}"
    )
    assert smallest >= 1000 * gc.DEFAULT_RTOL


def test_measured_subtle_bug_eps_missing_in_batchnorm_backward_is_caught():
    smallest = np.inf
    for seed in range(5):
        rng = np.random.default_rng(seed)
        x, gamma, beta = 2 * rng.standard_normal((6, 4)) + 1, rng.standard_normal(4), rng.standard_normal(4)
        dout = rng.standard_normal((6, 4))
        dx = batchnorm_backward_dx(dout, x, gamma, no_eps=True)
        check = gc.check_gradients(batchnorm, {"x": x, "gamma": gamma, "beta": beta}, {"x": dx}, dout)["x"]
        assert not check.elementwise.passed
        smallest = min(smallest, check.elementwise.error)
    print(
        f"\neps missing in batchnorm backward: smallest error {smallest:.1e}, "
        f"{smallest / gc.DEFAULT_RTOL:.0f}x above rtol"
    )


def test_measured_step_size_and_noise_model():
    """h = 1e-5 gives the smallest error; atol's error model covers the rest.

    For each correct layer and input: the worst error relative to the
    gradient's scale at three step sizes, and at the default step the ratio of
    the actual error to the model ``eps * S / h + h**2 * G`` that atol is
    NOISE_FACTOR times (computed with the public finite_difference_noise).
    """
    worst = {1e-4: 0.0, 1e-5: 0.0, 1e-6: 0.0}
    worst_ratio, where = 0.0, None
    for seed in range(3):
        for name, f, inputs, grads, dout in _torch_battery(seed):
            out = f(*inputs.values())
            weights = np.ones(()) if dout is None else dout
            for key, grad in grads.items():
                work = {k: v.copy() for k, v in inputs.items()}

                def g(value, key=key):
                    work[key] = value
                    return f(*work.values())

                for h in worst:
                    numerical = numerical_gradient(g, work[key].copy(), dout, h=h)
                    error = np.max(np.abs(numerical - grad))
                    worst[h] = max(worst[h], error / np.max(np.abs(grad)))
                    if h == gc.DEFAULT_H:
                        grad_scale = np.max(np.abs(numerical))
                        model = gc.finite_difference_noise(out, out, weights, h, grad_scale=grad_scale)
                        if error / model > worst_ratio:
                            worst_ratio, where = error / model, f"{name} d{key}"
    print("\nworst error / gradient scale: " + ", ".join(f"h={h:.0e}: {e:.1e}" for h, e in worst.items()))
    print(
        f"noise model: actual error at most {worst_ratio:.2f} x the model ({where}); "
        f"NOISE_FACTOR {gc.NOISE_FACTOR:.0f} leaves {gc.NOISE_FACTOR / worst_ratio:.0f}x"
    )
    assert worst[1e-5] < worst[1e-4] and worst[1e-5] < worst[1e-6]
    assert worst_ratio <= gc.NOISE_FACTOR / 10


def test_measured_input_scale_needs_a_scaled_step():
    # Batch norm of data with std 0.01 varies on a 100x smaller scale: the
    # truncation error grows by 100**2, so scale h with it (docstring advice).
    for seed in range(3):
        rng = np.random.default_rng(seed)
        x = 0.01 * rng.standard_normal((6, 4)) + 1
        gamma, beta, dout = rng.standard_normal(4), rng.standard_normal(4), rng.standard_normal((6, 4))
        grads = {"x": batchnorm_backward_dx(dout, x, gamma)}
        inputs = {"x": x, "gamma": gamma, "beta": beta}
        result = gc.check_gradients(batchnorm, inputs, grads, dout, h=1e-5 * 0.01)
        assert result.passed, str(result)


def test_measured_compare_arrays_defaults():
    """Exact but differently computed results agree far inside COMPARE_RTOL;
    eps outside the square root of batch norm is far outside it."""
    import torch  # a test dependency (pyproject [test]); never skipped

    worst, smallest_bug = 0.0, np.inf
    for seed in range(5):
        rng = np.random.default_rng(seed)
        x, w, b = rng.standard_normal((2, 3, 7, 7)), rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)
        xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
        windows = np.lib.stride_tricks.sliding_window_view(xp, (3, 3), axis=(2, 3))[:, :, ::2, ::2]
        ours = np.einsum("ncijkl,fckl->nfij", windows, w) + b[None, :, None, None]
        theirs = torch.nn.functional.conv2d(*map(torch.from_numpy, (x, w, b)), stride=2, padding=1).numpy()
        worst = max(worst, gc.compare_arrays(ours, theirs).error)

        x = rng.standard_normal((16, 5))
        gamma, beta, dout = rng.standard_normal(5), rng.standard_normal(5), rng.standard_normal((16, 5))
        xt = torch.from_numpy(x).requires_grad_(True)
        out = torch.nn.functional.batch_norm(
            xt, None, None, torch.from_numpy(gamma), torch.from_numpy(beta), training=True, eps=1e-5
        )
        out.backward(torch.from_numpy(dout))
        worst = max(worst, gc.compare_arrays(batchnorm(x, gamma, beta), out.detach().numpy()).error)
        worst = max(worst, gc.compare_arrays(batchnorm_backward_dx(dout, x, gamma), xt.grad.numpy()).error)

        xhat_bug = (x - x.mean(axis=0)) / (np.sqrt(x.var(axis=0)) + 1e-5)
        bug = gc.compare_arrays(gamma * xhat_bug + beta, out.detach().numpy())
        assert not bug.passed
        smallest_bug = min(smallest_bug, bug.error)
    print(
        f"\ncompare_arrays: correct worst {worst:.1e} ({gc.COMPARE_RTOL / max(worst, 1e-300):.0e}x "
        f"below rtol {gc.COMPARE_RTOL:.0e}); eps-outside-sqrt bug {smallest_bug:.1e} "
        f"({smallest_bug / gc.COMPARE_RTOL:.0f}x above)"
    )
    assert worst <= gc.COMPARE_RTOL / 1000
    assert smallest_bug >= 100 * gc.COMPARE_RTOL


def test_nan_anywhere_is_a_failed_comparison_never_a_crash():
    """A forward that returns NaN (a variance divided by N - 1 on a batch of one) makes the
    noise estimate NaN: every check fails and says where, nothing raises."""
    x = np.random.default_rng(12).standard_normal((1, 4))

    def forward(x):
        return (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0, ddof=1) + 1e-5)

    with np.errstate(all="ignore"):
        out = forward(x)
        dout = np.ones_like(out)
        result = gc.check_gradients(forward, {"x": x}, {"x": np.zeros_like(x)}, dout)
        assert not result.passed and not result["x"].passed
        assert "NaN" in str(result) or "nan" in str(result)
        projection = result["x"].projection
        assert projection is not None and not projection.passed
    tolerance = gc.compare_arrays(np.ones(3), np.ones(3), atol=float("nan"))
    assert (tolerance.passed, tolerance.problem) == (False, "tolerance")
    assert "not a finite number" in str(tolerance)
    scalar = gc.compare_scalars(1.0, 1.0, rtol=1e-6, atol=gc.noise_tolerance(float("nan")))
    assert not scalar.passed and "NaN or inf" in str(scalar)
    with pytest.raises(ValueError):
        gc.compare_arrays(np.ones(3), np.ones(3), atol=-1.0)  # a caller's mistake still raises
