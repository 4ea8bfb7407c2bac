"""Gradient checking: compare your analytic gradients with finite differences.

Given code. The notebooks, ``python -m layers.selfcheck`` (run by
``collate.sh``) and the autograder all measure with this module, so a
gradient that passes here passes there, for the same reasons.

You call two functions and print what they return:

``check_gradients(f, inputs, grads, dout)``
    Checks the gradients your backward pass returned for every input of a
    layer against central differences ``(f(x + h) - f(x - h)) / 2h`` of your
    forward pass ``f``; prints as one line per input (``dx: ok, error ...``).
``compare_arrays(actual, expected, name="out")``
    Compares an output or gradient with a trusted array (known answers, or
    another implementation); prints as one line.

Both return plain data with a ``passed`` flag, the error, and the index and
both values of the worst element. All arrays are float64. How to read the
printed lines: section 2 of ConvolutionalLayers.ipynb. Why the step size,
the error measure and the tolerances are what they are (the error model and
its measured margins): docs/GRADIENT_CHECK.md in the course kit.

Everything below the line "Used by the autograder" is for the grader or is
the machinery behind these two functions; you do not need to read it.
"""

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    # what you call
    "check_gradients",
    "compare_arrays",
    "DEFAULT_H",
    "DEFAULT_RTOL",
    "COMPARE_RTOL",
    "COMPARE_ATOL",
    "MAX_FULL_SIZE",
    "DEFAULT_NUM_CHECKS",
    # what the autograder calls
    "compare_scalars",
    "directional_derivative",
    "finite_difference_noise",
    "noise_tolerance",
    "NOISE_FACTOR",
    "EPS",
    # what they return
    "Comparison",
    "GradientCheck",
    "GradientCheckResult",
]

DEFAULT_H = 1e-5
"""Finite-difference step; near-optimal for float64 inputs of order one."""

DEFAULT_RTOL = 1e-6
"""Relative tolerance of gradient checks (atol is worked out from the noise)."""

COMPARE_RTOL = 1e-7
"""Default relative tolerance of ``compare_arrays`` (exact vs exact)."""

COMPARE_ATOL = 1e-10
"""Default absolute tolerance of ``compare_arrays`` (exact vs exact)."""

MAX_FULL_SIZE = 1000
"""``check_gradients`` checks inputs with more elements than this sparsely."""

DEFAULT_NUM_CHECKS = 20
"""Coordinates drawn per input by the sparse check in ``check_gradients``."""

NOISE_FACTOR = 100.0
"""Safety factor applied to the finite-difference error model to get atol."""

EPS = float(np.finfo(np.float64).eps)
"""Machine epsilon of float64, 2.2e-16."""


def check_gradients(
    f: Callable[..., Any],
    inputs: Mapping[str, np.ndarray],
    grads: Mapping[str, Any],
    dout: np.ndarray | None = None,
    *,
    h: float = DEFAULT_H,
    rtol: float = DEFAULT_RTOL,
    atol: float | None = None,
    max_full_size: int = MAX_FULL_SIZE,
    num_checks: int = DEFAULT_NUM_CHECKS,
    projection: bool = True,
    seed: Any = 0,
) -> "GradientCheckResult":
    """Check the analytic gradients of a function of several inputs.

    Example, for a layer returning ``(out, cache)``::

        out, cache = conv_forward_naive(x, w, b, conv_param)
        dx, dw, db = conv_backward_naive(dout, cache)
        result = check_gradients(
            lambda x, w, b: conv_forward_naive(x, w, b, conv_param)[0],
            {"x": x, "w": w, "b": b},
            {"x": dx, "w": dw, "b": db},
            dout,
        )
        print(result)            # one line per input
        assert result.passed, result

    Args:
        f: forward function, called as ``f(*inputs.values())`` (positionally,
            in the dict's order), returning a float64 array of shape S (or a
            number when ``dout`` is None, e.g. a loss). It must not modify its
            arguments.
        inputs: ``{name: float64 array}``. They are copied; the caller's
            arrays are never changed.
        grads: ``{name: analytic gradient}`` with the shape of that input,
            for some or all inputs; inputs without one are held fixed.
        dout: upstream gradient of shape S; None when f returns a number.
        h: finite-difference step.
        rtol: relative tolerance.
        atol: absolute tolerance; None (default) derives it per input from
            the finite-difference noise (docs/GRADIENT_CHECK.md).
        max_full_size: inputs with more elements than this are checked on
            ``num_checks`` random elements instead of all.
        num_checks: elements per sparsely checked input.
        projection: also run a projection check per input (two forward calls
            each), which notices an error in any single element.
        seed: seed for the sparse sample and the projection directions.

    Returns:
        A ``GradientCheckResult``: ``.passed``, ``[name]`` for each input's
        ``GradientCheck`` (error, worst index, analytic and numerical values
        there), and ``str()`` for a report.

    Raises:
        TypeError: an input or dout is not float64, or f returns something
            other than a float64 array.
        ValueError: shapes of f's output and dout differ, a gradient's key is
            not an input's name, or f modified its inputs.
    """
    work, out, weights = _prepare(f, inputs, grads, dout)
    out_scale = float(np.sum(np.abs(out * weights)))
    rng = np.random.default_rng(seed)
    evaluate = lambda: _output_array(f(*work.values()), "f")  # noqa: E731
    checks = {}
    for name, analytic in grads.items():
        x = work[name]
        sparse = x.size > max_full_size and num_checks < x.size
        indices = _sample_indices(x.shape, num_checks, rng) if sparse else None
        comparison, method = _check_one_input(
            evaluate, x, analytic, weights, out_scale, name=name, indices=indices, h=h, rtol=rtol, atol=atol
        )
        projected = None
        if projection and comparison.error is not None:
            projected = _project_one(f, work, name, analytic, weights, rng=rng, h=h, rtol=rtol, atol=atol)
        checks[name] = GradientCheck(
            name=name,
            elementwise=comparison,
            method=method,
            checked=int(x.size) if indices is None else len(indices),
            total=int(x.size),
            projection=projected,
        )
    return GradientCheckResult(checks)


def compare_arrays(
    actual: Any,
    expected: np.ndarray,
    *,
    rtol: float = COMPARE_RTOL,
    atol: float = COMPARE_ATOL,
    name: str = "array",
    labels: tuple[str, str] = ("actual", "expected"),
) -> "Comparison":
    """Compare ``actual`` with a trusted ``expected`` array, element by element.

    Passes when ``actual`` is a numpy array with the shape and dtype of
    ``expected``, every value is finite, and every element satisfies
    ``|actual - expected| <= max(rtol * |expected|, atol)``. Problems are
    reported as data in the returned ``Comparison`` (see its ``problem``), not
    raised, so the caller can word its own message. Values are still compared
    when only the dtype differs, to say how far off they are.

    Args:
        actual: array to judge, e.g. a student's output of shape (N, F, H', W').
        expected: trusted array of the same shape, the reference.
        rtol: relative tolerance, > 0 (keyword only, so it cannot be swapped
            with atol by accident).
        atol: absolute tolerance, >= 0, for elements near zero.
        name: what is compared, used in messages (``"out"``, ``"dx"``).
        labels: words for the two sides in messages.

    Returns:
        A ``Comparison``; ``str()`` of it is a one-line message.
    """
    if not (np.isfinite(rtol) and np.isfinite(atol)):
        # Tolerances worked out from data (finite-difference noise) that holds
        # NaN or inf: a failed comparison, never a crash.
        return Comparison(
            name=name,
            passed=False,
            problem="tolerance",
            error=None,
            rtol=float(rtol),
            atol=float(atol),
            labels=labels,
        )
    _check_tolerances(rtol, atol)
    expected = np.asarray(expected)
    unusable = _structure_problem(
        actual, expected.shape, expected.dtype, rtol=rtol, atol=atol, name=name, labels=labels
    )
    if unusable is not None:
        return unusable
    problem = None if actual.dtype == expected.dtype else "dtype"
    shape = actual.shape
    return _compare_values(
        actual,
        expected,
        rtol=rtol,
        atol=atol,
        name=name,
        labels=labels,
        problem=problem,
        index_of=lambda flat: tuple(int(i) for i in np.unravel_index(flat, shape)),
    )


# ---------------------------------------------------------------------------
# How a numerical partial derivative is computed
# ---------------------------------------------------------------------------


def _central_difference(
    evaluate: Callable[[], np.ndarray], x: np.ndarray, index: tuple, h: float
) -> tuple[np.ndarray, np.ndarray, float]:
    """Evaluate at ``x[index] + h`` and ``x[index] - h``; restore x exactly.

    Returns ``(out_plus, out_minus, step)``: the two outputs (each of the
    shape ``evaluate`` returns) and a float. ``step`` is the distance actually
    moved, ``(x_i + h) - (x_i - h)``, which can differ from 2h in the last bit
    because ``x_i + h`` is rounded; dividing by it removes that error.
    """
    original = x[index]
    try:
        x[index] = original + h
        plus_value = x[index]
        out_plus = evaluate()
        x[index] = original - h
        out_minus = evaluate()
        step = float(plus_value - x[index])
    finally:
        x[index] = original
    return out_plus, out_minus, step


def _partials(
    evaluate: Callable[[], np.ndarray],
    x: np.ndarray,
    indices: list[tuple],
    weights: np.ndarray,
    h: float,
) -> np.ndarray:
    """Numerical partials of ``sum(evaluate() * weights)`` wrt ``x[index]``.

    ``evaluate`` reads x (any shape; perturbed in place, one element at a
    time) and returns a fresh float64 array shaped like ``weights`` (the
    upstream gradient dout, or ``np.ones(())`` for a scalar function).
    Returns a float64 array of shape ``(len(indices),)``, one partial per index.
    """
    values = np.empty(len(indices))
    for k, index in enumerate(indices):
        out_plus, out_minus, step = _central_difference(evaluate, x, index, h)
        # Subtract first: outputs that do not depend on x[index] cancel exactly.
        values[k] = np.sum((out_plus - out_minus) * weights) / step
    return values


# ===========================================================================
# ---- Used by the autograder (you do not need to read below) ----
# What follows is either for the grader, whose forward passes run in another
# process (it checks the projection in pieces), or the machinery behind the
# two functions above: result types, input validation and the comparison.
# ===========================================================================


def compare_scalars(
    actual: float,
    expected: float,
    *,
    rtol: float = COMPARE_RTOL,
    atol: float = COMPARE_ATOL,
    name: str = "value",
    labels: tuple[str, str] = ("actual", "expected"),
) -> "Comparison":
    """Compare two numbers with the measure of ``compare_arrays``.

    Passes when ``|actual - expected| <= max(rtol * |expected|, atol)`` and
    both are finite. For the projection check, pass the analytic
    ``sum(dx * u)`` as ``actual``, the result of ``directional_derivative`` as
    ``expected`` and ``atol = noise_tolerance(finite_difference_noise(...))``.
    """
    return compare_arrays(
        np.array(float(actual)), np.array(float(expected)), rtol=rtol, atol=atol, name=name, labels=labels
    )


def directional_derivative(out_plus: np.ndarray, out_minus: np.ndarray, dout: np.ndarray, h: float) -> float:
    """Estimate ``dout . J u`` from two forward outputs.

    Args:
        out_plus: ``f(x + h * u)``, any shape S.
        out_minus: ``f(x - h * u)``, shape S.
        dout: upstream gradient v, shape S.
        h: the step used for both.

    Returns:
        ``sum((out_plus - out_minus) * dout) / (2 h)``, which approximates
        the derivative of ``sum(f(x) * dout)`` along u. From a correct
        backward pass, ``sum(dx * u)`` should equal it (for several inputs
        perturbed together, sum over them).
    """
    return float(np.sum((out_plus - out_minus) * dout) / (2.0 * h))


def finite_difference_noise(
    out_plus: np.ndarray,
    out_minus: np.ndarray,
    dout: np.ndarray,
    h: float,
    grad_scale: float | None = None,
) -> float:
    """Estimate the error of ``directional_derivative`` for these outputs.

    ``eps * S / h + h**2 * G`` with ``S = sum((|out_plus| + |out_minus|) *
    |dout|) / 2`` (rounding) and ``G`` = ``grad_scale``, by default the size
    of the directional derivative itself (truncation). Multiply by
    ``NOISE_FACTOR`` (``noise_tolerance``) to use it as an atol. Shapes as in
    ``directional_derivative``.
    """
    scale = float(np.sum((np.abs(out_plus) + np.abs(out_minus)) * np.abs(dout)) / 2)
    if grad_scale is None:
        grad_scale = abs(directional_derivative(out_plus, out_minus, dout, h))
    return _noise(scale, grad_scale, h)


def noise_tolerance(noise: float, factor: float = NOISE_FACTOR) -> float:
    """Return the atol used for a finite-difference estimate: ``factor * noise``."""
    return factor * noise


def _noise(scale: float, grad_scale: float, h: float) -> float:
    """Error model of a central difference: ``eps * scale / h`` (rounding) + ``h**2 * grad_scale`` (truncation)."""
    return EPS * scale / h + h * h * grad_scale


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """Result of comparing an array ``actual`` with an ``expected`` one.

    Everything is plain data, so a caller can word its own message; ``str()``
    gives a ready-made one. Fields that do not apply are None.

    Attributes:
        name: what was compared, e.g. ``"dx"`` or ``"out"``.
        passed: True when shape, dtype and every value agree.
        problem: None when passed, else the first problem found:
            ``"type"`` (actual is not a numpy array), ``"shape"``,
            ``"dtype"``, ``"nonfinite"`` (NaN or inf on either side),
            ``"tolerance"`` (a tolerance worked out from NaN or inf values,
            e.g. a finite-difference noise estimate) or ``"values"``.
        error: largest elementwise error, ``|actual - expected| / max(|expected|, atol / rtol)``; inf
            when a value is not finite, None when values were not compared.
        rtol, atol: the tolerances used; passed needs ``error <= rtol``.
        index: index of the worst element (the first non-finite one for
            ``"nonfinite"``), a tuple of ints; ``()`` for 0-d arrays.
        actual_value, expected_value: the two values at ``index``.
        mismatches: number of elements outside tolerance (or not finite).
        size: number of elements compared.
        actual_shape, expected_shape, actual_dtype, expected_dtype: as given
            (dtypes as strings such as ``"float64"``).
        actual_type: the type name of ``actual`` when it is not an array.
        nonfinite_side: ``"actual"``, ``"expected"`` or ``"both"`` when a
            value is NaN or inf.
        labels: words for the two sides in messages, e.g.
            ``("analytic", "numerical")``.
        sampled_indices: for a sparse check, the indices that were compared.
    """

    name: str
    passed: bool
    problem: str | None
    error: float | None
    rtol: float
    atol: float
    index: tuple[int, ...] | None = None
    actual_value: float | None = None
    expected_value: float | None = None
    mismatches: int = 0
    size: int = 0
    actual_shape: tuple[int, ...] | None = None
    expected_shape: tuple[int, ...] | None = None
    actual_dtype: str | None = None
    expected_dtype: str | None = None
    nonfinite_side: str | None = None
    actual_type: str | None = None
    labels: tuple[str, str] = ("actual", "expected")
    sampled_indices: tuple[tuple[int, ...], ...] | None = field(default=None, repr=False)

    def _where(self) -> str:
        return f" at index {self.index}" if self.index else ""

    def _values(self) -> str:
        if self.actual_value is None or self.expected_value is None:
            return ""
        a, e = _format_pair(self.actual_value, self.expected_value)
        return f": {self.labels[0]} {a}, {self.labels[1]} {e}"

    def _value_error(self) -> str:
        """``error 3.2e-02 > 1e-06 at index (1, 2): actual 0.51, expected 0.49``."""
        sign = "<=" if self.error <= self.rtol else ">"
        text = f"error {self.error:.1e} {sign} {self.rtol:.0e}"
        if self.error > self.rtol:
            text += f"{self._where()}{self._values()}"
        return text

    def _nonfinite(self) -> str:
        """``actual not finite (NaN or inf) at index (0, 1): actual nan, ...``."""
        actual, expected = self.labels
        side = {
            "actual": actual,
            "expected": expected,
            "both": f"{actual} and {expected}",
        }[self.nonfinite_side or "both"]
        return f"{side} not finite (NaN or inf){self._where()}{self._values()}"

    def __str__(self) -> str:
        actual, expected = self.labels
        head = f"{self.name}: "
        if self.problem == "type":
            what = "None" if self.actual_type == "NoneType" else f"a {self.actual_type}"
            return f"{head}{actual} is {what}, not a numpy array"
        if self.problem == "shape":
            return f"{head}{actual} has shape {self.actual_shape}, {expected} has shape {self.expected_shape}"
        if self.problem == "dtype":
            text = f"{head}{actual} has dtype {self.actual_dtype}, {expected} has dtype {self.expected_dtype}"
            if self.nonfinite_side is not None:
                text += f" (values: {self._nonfinite()})"
            elif self.error is not None:
                text += f" (values: {self._value_error()})"
            return text
        if self.problem == "tolerance":
            return (
                f"{head}cannot be compared: the tolerance (rtol {self.rtol}, atol "
                f"{self.atol}) is not a finite number; the values it was worked "
                "out from hold NaN or inf"
            )
        if self.problem == "nonfinite":
            text = f"{head}{self._nonfinite()}"
            if self.size > 1:
                text += f" ({self.mismatches} of {self.size} elements)"
            return text
        if self.problem == "values":
            text = f"{head}{self._value_error()}"
            if self.size > 1:
                text += f" ({self.mismatches} of {self.size} elements outside tolerance)"
            return text
        return f"{head}{self._value_error()} ({self.size} elements)"


@dataclass(frozen=True)
class GradientCheck:
    """Result of checking the analytic gradient of one input.

    Attributes:
        name: the input's name, e.g. ``"x"``; messages say ``"dx"``.
        elementwise: the ``Comparison`` of analytic (actual) and numerical
            (expected) partial derivatives over the elements checked; its
            ``index`` is an index into the whole input.
        method: ``"full"`` (every element) or ``"sparse"`` (random sample).
        checked: number of elements compared.
        total: number of elements of the input.
        projection: the random-projection ``Comparison`` (analytic
            ``sum(dx * u)`` against the numerical directional derivative), or
            None when not run.
    """

    name: str
    elementwise: Comparison
    method: str
    checked: int
    total: int
    projection: Comparison | None = None

    @property
    def passed(self) -> bool:
        return self.elementwise.passed and (self.projection is None or self.projection.passed)

    def __str__(self) -> str:
        comparison, projection = self.elementwise, self.projection
        if comparison.passed:
            scope = (
                f"all {self.total} elements"
                if self.method == "full"
                else f"{self.checked} random elements of {self.total}"
            )
            line = f"d{self.name}: ok, error {comparison.error:.1e} <= "
            line += f"{comparison.rtol:.0e} ({scope}"
            if projection is not None and projection.passed:
                line += f"; random projection error {projection.error:.1e}"
            lines = [line + ")"]
        else:
            line = str(comparison)
            if self.method == "sparse" and comparison.error is not None:
                line += f" [sparse check of {self.checked} random elements of {self.total}]"
            lines = [line]
        if projection is not None and not projection.passed:
            lines.append(str(projection))
        return "\n".join(lines)


@dataclass(frozen=True)
class GradientCheckResult:
    """Results of ``check_gradients`` for all inputs, in input order.

    ``str()`` gives one line per input (two when the projection check also
    failed), e.g. ``dx: error 3.2e-02 > 1e-06 at index (1, 0, 2, 3):
    analytic 0.5123, numerical 0.4871 ...``.
    """

    checks: dict[str, GradientCheck]

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks.values())

    @property
    def failures(self) -> list[GradientCheck]:
        return [check for check in self.checks.values() if not check.passed]

    def __getitem__(self, name: str) -> GradientCheck:
        return self.checks[name]

    def __str__(self) -> str:
        return "\n".join(str(check) for check in self.checks.values())


def _format_pair(a: float, b: float) -> tuple[str, str]:
    """Format two numbers with just enough digits to show how they differ."""
    if math.isfinite(a) and math.isfinite(b) and a != b:
        relative = abs(a - b) / max(abs(a), abs(b))
        digits = min(17, max(4, 2 - math.floor(math.log10(relative))))
    else:
        digits = 4
    return f"{a:.{digits}g}", f"{b:.{digits}g}"


# ---------------------------------------------------------------------------
# Inside check_gradients
# ---------------------------------------------------------------------------


def _prepare(
    f: Callable[..., Any],
    inputs: Mapping[str, np.ndarray],
    grads: Mapping[str, Any],
    dout: np.ndarray | None,
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Validate, copy the inputs and run f once.

    Returns ``(work, out, weights)``: private copies of the inputs (which we
    perturb, so the caller's arrays are never touched), the output at the
    base point and the weights of ``sum(out * weights)``.
    """
    for name, value in inputs.items():
        _require_float64(value, name)
    unknown = [key for key in grads if key not in inputs]
    if unknown:
        raise ValueError(
            f"grads has keys {unknown} that are not input names; key each "
            f"gradient by its input's name, one of {list(inputs)}"
        )
    work = {name: value.copy() for name, value in inputs.items()}
    out = _output_array(f(*work.values()), "f")
    for name, value in inputs.items():
        if not np.array_equal(work[name], value, equal_nan=True):
            raise ValueError(
                f"f modified its input {name!r} in place; a forward pass must not change its arguments (work on a copy)"
            )
    weights = _upstream(out, dout, "f")
    return work, out, weights


def _require_float64(array: Any, name: str) -> np.ndarray:
    """Return ``array`` if it is a float64 ndarray, else raise TypeError."""
    if not isinstance(array, np.ndarray):
        raise TypeError(
            f"{name} must be a numpy array of dtype float64, got "
            f"{type(array).__name__}; convert it with "
            f"np.asarray({name}, dtype=np.float64)"
        )
    if array.dtype != np.float64:
        raise TypeError(
            f"{name} has dtype {array.dtype}, but gradient checks need float64 "
            f"(a step of 1e-5 is lost in lower precision, and integer arrays "
            f"cannot be perturbed at all); convert it with "
            f"{name}.astype(np.float64)"
        )
    return array


def _output_array(value: Any, what: str) -> np.ndarray:
    """Copy a forward output into a fresh float64 array.

    The copy matters: a function that returns its input (the identity) or a
    buffer it reuses would otherwise change under our feet when we perturb x.
    """
    if isinstance(value, tuple):
        raise TypeError(
            f"{what} returned a tuple; it must return one array. For a layer "
            f"that returns (out, cache), pass lambda ...: layer(...)[0]"
        )
    if isinstance(value, np.ndarray):
        if value.dtype != np.float64:
            raise TypeError(
                f"{what} returned an array of dtype {value.dtype}; it must "
                f"return float64 (did a cast to float32 slip in?)"
            )
        return value.copy()
    if isinstance(value, np.floating) and value.dtype != np.float64:
        raise TypeError(
            f"{what} returned a number of type {value.dtype}; it must return a float64 (did a cast to float32 slip in?)"
        )
    if isinstance(value, (float, int, np.floating, np.integer)) and not isinstance(value, bool):
        return np.array(float(value))
    raise TypeError(
        f"{what} returned {type(value).__name__}; it must return a float64 "
        f"numpy array (or a float for a scalar function)"
    )


def _upstream(out: np.ndarray, dout: np.ndarray | None, what: str) -> np.ndarray:
    """Return the weights of ``sum(out * dout)``: dout itself, or 1 for a scalar."""
    if dout is None:
        if out.size != 1:
            raise ValueError(
                f"{what} returned an array of shape {out.shape} but no upstream "
                f"gradient dout was given; pass dout of that shape"
            )
        return np.ones(out.shape)
    _require_float64(dout, "dout")
    if dout.shape != out.shape:
        raise ValueError(f"dout has shape {dout.shape} but {what} returned shape {out.shape}; they must match")
    return dout


def _check_one_input(
    evaluate: Callable[[], np.ndarray],
    x: np.ndarray,
    analytic: Any,
    weights: np.ndarray,
    out_scale: float,
    *,
    name: str,
    indices: list[tuple] | None,
    h: float,
    rtol: float,
    atol: float | None,
) -> tuple[Comparison, str]:
    """Compare the analytic gradient of input x with central differences.

    ``indices`` None means every element; otherwise only those. Returns the
    comparison and the method name.
    """
    label = f"d{name}"
    labels = ("analytic", "numerical")
    method = "full" if indices is None else "sparse"
    unusable = _structure_problem(
        analytic,
        x.shape,
        x.dtype,
        rtol=rtol,
        atol=0.0 if atol is None else atol,
        name=label,
        labels=labels,
    )
    if unusable is not None:
        return unusable, method

    if indices is None:
        indices = list(np.ndindex(x.shape))
    numerical = _partials(evaluate, x, indices, weights, h)
    sampled_analytic = np.array([analytic[i] for i in indices], dtype=analytic.dtype)
    if atol is None:
        grad_scale = float(np.max(np.abs(numerical), initial=0.0))
        if not math.isfinite(grad_scale):
            grad_scale = 0.0
        atol = noise_tolerance(_noise(out_scale, grad_scale, h))
    comparison = _compare_values(
        sampled_analytic,
        numerical,
        rtol=rtol,
        atol=atol,
        name=label,
        labels=labels,
        problem=None if analytic.dtype == np.float64 else "dtype",
        index_of=lambda k: tuple(int(i) for i in indices[k]),
        sampled=None if method == "full" else tuple(indices),
    )
    return comparison, method


def _sample_indices(shape: tuple[int, ...], num_checks: int, rng: np.random.Generator) -> list[tuple]:
    """Draw ``num_checks`` distinct indices of an array of ``shape``."""
    size = int(np.prod(shape))
    flat = rng.choice(size, size=min(num_checks, size), replace=False)
    return [tuple(int(i) for i in np.unravel_index(k, shape)) for k in flat]


def _random_direction(shape: tuple[int, ...], seed: Any = 0) -> np.ndarray:
    """Return a random float64 array of ``shape`` with Euclidean norm 1.

    Its elements are independent standard normals, rescaled; every element is
    nonzero with probability 1, which is what lets a projection check see an
    error in any single element. ``seed`` is anything accepted by
    ``numpy.random.default_rng`` (an int, or a Generator to draw from).
    """
    rng = np.random.default_rng(seed)
    u = rng.standard_normal(shape)
    norm = np.linalg.norm(u)
    return u / norm if norm > 0 else u


def _project_one(
    f: Callable[..., Any],
    work: dict[str, np.ndarray],
    name: str,
    analytic: np.ndarray,
    weights: np.ndarray,
    *,
    rng: np.random.Generator,
    h: float,
    rtol: float,
    atol: float | None,
) -> Comparison:
    """Projection check of one input, the others held fixed."""
    x = work[name]
    u = _random_direction(x.shape, rng)
    original = x.copy()
    try:
        x += h * u
        out_plus = _output_array(f(*work.values()), "f")
        np.copyto(x, original)
        x -= h * u
        out_minus = _output_array(f(*work.values()), "f")
    finally:
        np.copyto(x, original)
    numerical = directional_derivative(out_plus, out_minus, weights, h)
    analytic_value = float(np.sum(analytic * u))
    if atol is None:
        atol = noise_tolerance(finite_difference_noise(out_plus, out_minus, weights, h))
    return compare_scalars(
        analytic_value,
        numerical,
        rtol=rtol,
        atol=atol,
        name=f"d{name} (random projection)",
        labels=("analytic", "numerical"),
    )


# ---------------------------------------------------------------------------
# Inside compare_arrays
# ---------------------------------------------------------------------------


def _check_tolerances(rtol: float, atol: float) -> None:
    if not rtol > 0:
        raise ValueError(f"rtol must be positive, got {rtol}")
    if not atol >= 0:
        raise ValueError(f"atol must be zero or positive, got {atol}")


def _structure_problem(
    actual: Any,
    expected_shape: tuple[int, ...],
    expected_dtype: np.dtype,
    *,
    rtol: float,
    atol: float,
    name: str,
    labels: tuple[str, str],
) -> Comparison | None:
    """Return a failed Comparison if values cannot be compared at all, else None.

    That is: ``actual`` is not a numpy array, has the wrong shape, or has a
    dtype whose values are not real numbers (complex, object, strings).
    """
    common = dict(
        name=name,
        passed=False,
        error=None,
        rtol=rtol,
        atol=atol,
        expected_shape=tuple(expected_shape),
        expected_dtype=str(expected_dtype),
        labels=labels,
    )
    if not isinstance(actual, np.ndarray):
        return Comparison(problem="type", actual_type=type(actual).__name__, **common)
    common.update(actual_shape=tuple(actual.shape), actual_dtype=str(actual.dtype))
    if actual.shape != tuple(expected_shape):
        return Comparison(problem="shape", **common)
    real = (np.bool_, np.integer, np.floating)
    if not (issubclass(actual.dtype.type, real) and issubclass(np.dtype(expected_dtype).type, real)):
        return Comparison(problem="dtype", size=int(actual.size), **common)
    return None


def _compare_values(
    actual: np.ndarray,
    expected: np.ndarray,
    *,
    rtol: float,
    atol: float,
    name: str,
    labels: tuple[str, str],
    problem: str | None,
    index_of: Callable[[int], tuple[int, ...]],
    sampled: tuple[tuple[int, ...], ...] | None = None,
) -> Comparison:
    """Compare two float arrays of equal shape value by value.

    ``problem`` is an earlier problem (a dtype mismatch) that fails the
    comparison whatever the values, and is reported first; ``index_of`` maps a flat position to the
    index reported (the identity's unravel, or the sampled index).
    """
    common = dict(
        name=name,
        rtol=rtol,
        atol=atol,
        size=int(actual.size),
        actual_shape=tuple(actual.shape),
        expected_shape=tuple(expected.shape),
        actual_dtype=str(actual.dtype),
        expected_dtype=str(expected.dtype),
        labels=labels,
        sampled_indices=sampled,
    )
    a = actual.astype(np.float64).ravel()
    e = expected.astype(np.float64).ravel()
    if a.size == 0:
        return Comparison(passed=problem is None, problem=problem, error=0.0, **common)

    bad_a, bad_e = ~np.isfinite(a), ~np.isfinite(e)
    if bad_a.any() or bad_e.any():
        bad = bad_a | bad_e
        first = int(np.argmax(bad))
        side = "both" if bad_a.any() and bad_e.any() else ("actual" if bad_a.any() else "expected")
        return Comparison(
            passed=False,
            problem=problem or "nonfinite",
            error=math.inf,
            index=index_of(first),
            actual_value=float(a[first]),
            expected_value=float(e[first]),
            mismatches=int(bad.sum()),
            nonfinite_side=side,
            **common,
        )

    errors = _elementwise_errors(a, e, rtol, atol)
    worst = int(np.argmax(errors))
    error = float(errors[worst])
    values_ok = error <= rtol
    if problem is None and not values_ok:
        problem = "values"
    return Comparison(
        passed=problem is None,
        problem=problem,
        error=error,
        index=index_of(worst),
        actual_value=float(a[worst]),
        expected_value=float(e[worst]),
        mismatches=int(np.count_nonzero(errors > rtol)),
        **common,
    )


def _elementwise_errors(actual: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    """Return ``|actual - expected| / max(|expected|, atol / rtol)`` (finite inputs)."""
    difference = np.abs(actual - expected)
    scale = np.maximum(np.abs(expected), atol / rtol)
    with np.errstate(divide="ignore", invalid="ignore"):
        errors = difference / scale
    # Where both the difference and the scale are 0, the elements are equal.
    return np.where(difference == 0, 0.0, errors)
