"""Quick self-check of your layers: public checks with known answers, in seconds.

Run it from the handout folder (the one that holds collate.sh):

    python -m layers.selfcheck                      # every function
    python -m layers.selfcheck layernorm_backward   # only the ones you name
    python -m layers.selfcheck -v                   # every case, the worst element, both values

Every function of layers/conv.py and layers/norm.py is called on small fixed
inputs whose right outputs are written in this file (known answers):

- a forward pass must return the expected output (and leave its inputs and
  'mode', 'eps', 'momentum' alone); batch norm must also keep the expected
  running averages over train calls and use them in test mode;
- a backward pass must pass a numerical gradient check against its own
  forward pass, also when a second forward call comes before it. It is
  checked only once that forward pass is right, so a failure always names
  the function that is wrong: a wrong forward pass is reported on the
  forward's line, and its backward says "not checked" until it is fixed.

The cases cover the classic mistakes: pad 0, a stride that does not divide
the size evenly, H != W, group norm with C = 6 and G = 3, a batch of tiny
variance with a large eps, test mode after train calls, and a second forward
call before the backward. It prints one line per function, for example

    conv_forward_naive: ok (3 cases)
    batchnorm_backward: NOT IMPLEMENTED
    layernorm_backward: FAILED gradient check, case x (3, 5), default eps: dx error 3.1e-02 > 1e-06 ...

This is advice, not a grade: the autograder runs its own, more thorough tests
on other inputs, and "ok" here does not promise full marks there. It writes
no files. Exit status: 0 every function asked for is ok, 1 some are not (not
implemented, failed, not checked), 2 an unknown function name, 3 the check
itself could not run (numpy missing, say).

How the checks are organised: TABLE below holds one row per (function,
check); a new kind of check is one more row.
"""

import contextlib
import io
import os
import signal
import sys
import threading
import time
import traceback
import warnings

# Seconds one function's checks may take before they are abandoned.
TIME_LIMIT = 5.0

CONV_FUNCTIONS = (
    "conv_forward_naive",
    "conv_backward_naive",
    "conv_forward_fast",
    "conv_backward_fast",
)
NORM_FUNCTIONS = (
    "batchnorm_forward",
    "batchnorm_backward",
    "batchnorm_backward_alt",
    "spatial_batchnorm_forward",
    "spatial_batchnorm_backward",
    "layernorm_forward",
    "layernorm_backward",
    "spatial_groupnorm_forward",
    "spatial_groupnorm_backward",
    "instancenorm_forward",
    "instancenorm_backward",
)
ALL_FUNCTIONS = CONV_FUNCTIONS + NORM_FUNCTIONS
# The module of each function: layers/<module>.py.
MODULE_OF = dict([(name, "conv") for name in CONV_FUNCTIONS] + [(name, "norm") for name in NORM_FUNCTIONS])
STUDENT_FILES = ("conv.py", "norm.py")
# The forward pass whose cache each backward pass takes. These lists are the
# autograder's (autograder/contract.py: GRADED_FUNCTIONS, FORWARD_OF); this
# file cannot import it, so tests/test_selfcheck.py proves the copies equal.
FORWARD_OF = {
    "conv_backward_naive": "conv_forward_naive",
    "conv_backward_fast": "conv_forward_fast",
    "batchnorm_backward": "batchnorm_forward",
    "batchnorm_backward_alt": "batchnorm_forward",
    "spatial_batchnorm_backward": "spatial_batchnorm_forward",
    "layernorm_backward": "layernorm_forward",
    "spatial_groupnorm_backward": "spatial_groupnorm_forward",
    "instancenorm_backward": "instancenorm_forward",
}
# Tolerance of the known-answer comparisons (the harness's compare_arrays default).
OUTPUT_RTOL = 1e-7

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_CANNOT_RUN = 0, 1, 2, 3

try:
    import numpy as np
except Exception as numpy_error:  # reported by main()
    np = None
    NUMPY_ERROR = numpy_error
else:
    NUMPY_ERROR = None


# ---------------------------------------------------------------- outcomes


class CheckFailed(Exception):
    """A check found a problem.

    `summary` is the one-line message; `detail` the longer text printed with
    -v (the case, the worst element and both values).
    """

    def __init__(self, summary, detail=""):
        super().__init__(summary)
        self.summary = summary
        self.detail = detail


class Missing(CheckFailed):
    """The student's module has no such function (reported as MISSING, not FAILED)."""


class NotChecked(Exception):
    """A check could not run because something it builds on does not work yet."""


class TimeUp(BaseException):
    """Raised by the alarm when a function's checks run past TIME_LIMIT.

    A BaseException so that an `except Exception` in the code under test
    does not swallow it.
    """


@contextlib.contextmanager
def time_limit(seconds):
    """Interrupt the block after `seconds` where the platform allows it (Unix, main thread)."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def on_alarm(signum, frame):
        raise TimeUp()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class Discard(io.TextIOBase):
    """A text stream that forgets what it is given (a print loop cannot fill memory)."""

    def writable(self):
        return True

    def write(self, text):
        return len(text)


@contextlib.contextmanager
def quiet():
    """Keep prints and numpy warnings of the code under test off the summary."""
    sink = Discard()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                yield


def where(error):
    """`(layers/norm.py:42)` for the innermost frame of the student's files in `error`'s traceback."""
    frames = traceback.extract_tb(error.__traceback__)
    chosen = None
    for frame in frames:
        if os.path.basename(frame.filename) in STUDENT_FILES:
            chosen = frame
    if chosen is None and frames:
        chosen = frames[-1]
    if chosen is None:
        return ""
    name = os.path.basename(chosen.filename)
    if name in STUDENT_FILES:
        name = "layers/" + name
    return " (%s:%s)" % (name, chosen.lineno)


def describe_error(error):
    text = str(error).strip().splitlines()
    message = text[0] if text else ""
    kind = type(error).__name__
    return "%s: %s%s" % (kind, message, where(error)) if message else kind + where(error)


# ------------------------------------------------------------ public cases


def fixed(shape, step, modulus):
    """A deterministic array of `shape`: ((k * step) % modulus) - (modulus - 1) / 2 for k = 0, 1, ...

    Plain integer arithmetic, so the values (and the expected outputs below)
    are the same on every machine and numpy version; `step` and `modulus`
    coprime give a pattern without short repeats.
    """
    size = 1
    for extent in shape:
        size *= extent
    values = (np.arange(size) * step) % modulus - (modulus - 1) / 2.0
    return values.reshape(shape).astype(np.float64)


class Case:
    """One public input of a layer.

    key: the name of its expected output in EXPECTED.
    label: the case in words, as messages show it.
    make: a function returning the arrays by name (x, w, b for conv; x,
      gamma, beta for the norms), in the order the forward pass takes them.
    param: conv_param, or the bn/ln/gn/in param (batch norm in train mode).
    groups: G, for group normalization only.
    """

    def __init__(self, key, label, make, param, groups=None):
        self.key, self.label, self.make, self.param, self.groups = key, label, make, param, groups

    def arrays(self):
        return self.make()


class Sequence:
    """Batch norm over several calls on one bn_param: train calls, then one test call.

    init: the bn_param the sequence starts from (mode 'train').
    make: returns (list of train inputs x, test input x, gamma, beta).
    Expected (in EXPECTED[key]): running_mean and running_var after the
    train calls, and the test-mode output.
    """

    def __init__(self, key, label, make, init):
        self.key, self.label, self.make, self.init = key, label, make, init


def _conv_case(key, x_shape, w_shape, stride, pad, note=""):
    def make():
        f = w_shape[0]
        return {"x": fixed(x_shape, 5, 7), "w": fixed(w_shape, 3, 5), "b": fixed((f,), 1, 3)}

    label = "stride %d, pad %d, x %s, w %s%s" % (stride, pad, x_shape, w_shape, note)
    return Case(key, label, make, {"stride": stride, "pad": pad})


CONV_CASES = (
    _conv_case("conv-pad0", (1, 2, 4, 5), (3, 2, 2, 3), 1, 0),
    _conv_case("conv-stride2", (1, 2, 6, 5), (2, 2, 3, 2), 2, 1, " (H + 2 pad - HH not divisible by 2)"),
    _conv_case("conv-stride3", (2, 1, 3, 4), (2, 1, 3, 3), 3, 2),
)


def _feature_scales(count):
    """Different spreads and offsets per feature / channel: 1, 3, 0.5, 2, ... and 2, -1, 0, 1.5, ..."""
    scales = np.array([1.0, 3.0, 0.5, 2.0, 1.5, 0.25, 4.0, 1.0])[:count]
    offsets = np.array([2.0, -1.0, 0.0, 1.5, -3.0, 0.5, 1.0, -0.5])[:count]
    return scales, offsets


def _affine(count, shape):
    """gamma and beta for `count` features, reshaped to `shape`."""
    gamma = 1.0 + 0.25 * fixed((count,), 3, 5)
    beta = 0.5 * fixed((count,), 2, 5)
    return gamma.reshape(shape), beta.reshape(shape)


def _rows(shape, tiny=False):
    """(N, D) inputs with a spread and offset per feature; a spread of about 0.01 when `tiny`."""
    scales, offsets = _feature_scales(shape[1])
    if tiny:
        return 1.5 + 0.01 * fixed(shape, 5, 9) * scales
    return fixed(shape, 5, 9) * scales + offsets


def _images(shape, tiny=False):
    """(N, C, H, W) inputs with a spread and offset per channel; a spread of about 0.01 when `tiny`."""
    scales, offsets = _feature_scales(shape[1])
    scales, offsets = scales.reshape(1, -1, 1, 1), offsets.reshape(1, -1, 1, 1)
    if tiny:
        return -0.5 + 0.01 * fixed(shape, 7, 11) * scales
    return fixed(shape, 7, 11) * scales + offsets


def _norm_case(key, shape, param, tiny=False, groups=None, channel_shape=None):
    def make():
        channels = shape[1]
        x = _rows(shape, tiny) if len(shape) == 2 else _images(shape, tiny)
        gamma, beta = _affine(channels, channel_shape or (channels,))
        return {"x": x, "gamma": gamma, "beta": beta}

    words = ["x %s" % (shape,)]
    if groups is not None:
        words.append("G %d" % groups)
    if tiny:
        words.append("tiny variance")
    words.append("eps %g" % param["eps"] if "eps" in param else "default eps")
    return Case(key, ", ".join(words), make, param, groups)


def _sequence(key, train_shape, test_shape, init, words):
    def make():
        maker = _rows if len(train_shape) == 2 else _images
        first = maker(train_shape)
        second = 0.5 * maker(train_shape) + 1.0
        test = maker(test_shape)[::-1].copy()
        gamma, beta = _affine(train_shape[1], (train_shape[1],))
        return [first, second], test, gamma, beta

    label = "2 train calls on x %s, then test mode on x %s, %s" % (train_shape, test_shape, words)
    return Sequence(key, label, make, init)


BATCHNORM_CASES = (
    _norm_case("bn-plain", (4, 3), {"mode": "train"}),
    _norm_case("bn-tiny", (6, 2), {"mode": "train", "eps": 1e-2}, tiny=True),
)
BATCHNORM_SEQUENCES = (
    _sequence("bn-seq-default", (3, 4), (2, 4), {"mode": "train"}, "default eps and momentum"),
    _sequence(
        "bn-seq-explicit", (5, 2), (3, 2), {"mode": "train", "eps": 1e-2, "momentum": 0.6}, "eps 0.01, momentum 0.6"
    ),
)
SPATIAL_BATCHNORM_CASES = (
    _norm_case("sbn-plain", (2, 3, 2, 4), {"mode": "train"}),
    _norm_case("sbn-tiny", (3, 2, 3, 2), {"mode": "train", "eps": 1e-2}, tiny=True),
)
SPATIAL_BATCHNORM_SEQUENCES = (
    _sequence("sbn-seq", (2, 2, 3, 2), (1, 2, 3, 2), {"mode": "train", "momentum": 0.6}, "momentum 0.6"),
)
LAYERNORM_CASES = (
    _norm_case("ln-plain", (3, 5), {}),
    _norm_case("ln-tiny", (2, 7), {"eps": 1e-2}, tiny=True),
)
GROUPNORM_CASES = (
    _norm_case("gn-c6-g3", (1, 6, 2, 3), {}, groups=3, channel_shape=(1, 6, 1, 1)),
    _norm_case("gn-tiny", (2, 6, 2, 2), {"eps": 1e-2}, tiny=True, groups=2, channel_shape=(1, 6, 1, 1)),
    _norm_case("gn-g-is-c", (1, 3, 2, 3), {}, groups=3, channel_shape=(1, 3, 1, 1)),
)
INSTANCENORM_CASES = (
    _norm_case("in-plain", (2, 3, 2, 3), {}),
    _norm_case("in-tiny", (1, 2, 4, 3), {"eps": 1e-2}, tiny=True),
)
CASES = {
    "conv_forward_naive": CONV_CASES,
    "conv_forward_fast": CONV_CASES,
    "batchnorm_forward": BATCHNORM_CASES,
    "spatial_batchnorm_forward": SPATIAL_BATCHNORM_CASES,
    "layernorm_forward": LAYERNORM_CASES,
    "spatial_groupnorm_forward": GROUPNORM_CASES,
    "instancenorm_forward": INSTANCENORM_CASES,
}
SEQUENCES = {
    "batchnorm_forward": BATCHNORM_SEQUENCES,
    "spatial_batchnorm_forward": SPATIAL_BATCHNORM_SEQUENCES,
}


def upstream(shape):
    """The upstream gradient dout used with an output of `shape` (fixed, like the inputs)."""
    return 0.5 * fixed(shape, 3, 7) + 0.25


# ------------------------------------------------------------------ helpers


class Context:
    """What the checks share: the student's modules, the harness, what passed so far."""

    def __init__(self, modules, harness, harness_error):
        self.modules = modules  # {"conv": module or None, "norm": module or None}
        self.harness = harness
        self.harness_error = harness_error
        self.basis_ok = {}  # forward name -> True when its known outputs are right
        self.log = []  # (function, check, case or "", passed, text) for -v

    def function(self, name):
        module = self.modules[MODULE_OF[name]]
        func = getattr(module, name, None)
        if not callable(func):
            raise Missing("MISSING: no function %s in layers/%s.py" % (name, MODULE_OF[name]))
        return func


def call_forward(forward, arrays, case, param=None):
    """Call a forward pass on `arrays` (in its argument order), G when the case has one, and a fresh
    copy of the case's param dict: forward(x, w, b, conv_param), forward(x, gamma, beta, param) or,
    for group norm, forward(x, gamma, beta, G, gn_param)."""
    param = dict(case.param if param is None else param)
    groups = () if case.groups is None else (case.groups,)
    return forward(*arrays.values(), *groups, param)


def expect_pair(result, what):
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise CheckFailed("returned %s, expected a pair (%s)" % (type(result).__name__, what))
    return result


def expect_triple(result):
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        raise CheckFailed("returned %s, expected three gradients" % type(result).__name__)
    return result


def need_harness(ctx):
    if ctx.harness is None:
        raise NotChecked(
            "not checked: layers/gradient_check.py does not import (%s); "
            "restore it from the handout" % ctx.harness_error
        )


def plain_comparison(actual, expected, label):
    """(passed, text) without the harness (layers/gradient_check.py broken): shape, dtype, largest error."""
    if not isinstance(actual, np.ndarray):
        return False, "%s is a %s, not a numpy array" % (label, type(actual).__name__)
    if actual.shape != expected.shape:
        return False, "%s has shape %s, expected %s" % (label, actual.shape, expected.shape)
    if actual.dtype != np.float64:
        return False, "%s has dtype %s, expected float64" % (label, actual.dtype)
    with np.errstate(all="ignore"):
        error = np.max(np.abs(actual - expected) / np.maximum(np.abs(expected), 1e-3), initial=0.0)
    if not np.isfinite(error) or error > OUTPUT_RTOL:
        return False, "%s is wrong (error %.1e > %.0e)" % (label, error, OUTPUT_RTOL)
    return True, "%s: error %.1e <= %.0e" % (label, error, OUTPUT_RTOL)


def compare(ctx, actual, expected, label, case, what):
    """Fail unless `actual` matches `expected` (known answer) within OUTPUT_RTOL; return the comparison text."""
    if ctx.harness is None:
        passed, text = plain_comparison(actual, expected, label)
        if passed:
            return text
        raise CheckFailed("%s, case %s: %s" % (what, case.label, text), "case: %s\n%s" % (case.label, text))
    comparison = ctx.harness.compare_arrays(
        actual, expected, rtol=OUTPUT_RTOL, name=label, labels=("yours", "expected")
    )
    if comparison.passed:
        return str(comparison)
    if comparison.problem == "values":
        short = "%s is wrong (error %.1e > %.0e, %d of %d elements)" % (
            label,
            comparison.error,
            comparison.rtol,
            comparison.mismatches,
            comparison.size,
        )
    else:
        short = str(comparison)
    raise CheckFailed("%s, case %s: %s" % (what, case.label, short), "case: %s\n%s" % (case.label, comparison))


def unchanged(before, arrays, name, case):
    for key, original in before.items():
        if not np.array_equal(original, arrays[key]):
            raise CheckFailed(
                "%s modified its input %s, case %s (copy it before changing it)" % (name, key, case.label)
            )


def settings_kept(param, given, name, case):
    for key in ("mode", "eps", "momentum"):
        if key in given and param.get(key) != given[key]:
            raise CheckFailed(
                "%s changed bn_param['%s'] from %r to %r, case %s" % (name, key, given[key], param.get(key), case.label)
            )


def expected(key, part=None):
    """The known answer `key` (of a Sequence: its `part`) from EXPECTED, as a float64 array."""
    entry = EXPECTED[key] if part is None else EXPECTED[key][part]
    shape, values = entry
    return np.array(values, dtype=np.float64).reshape(shape)


def probe_backward(ctx, backward_name, forward_name):
    """A backward whose forward is not right yet: NOT IMPLEMENTED if it is still the stub, else not checked."""
    backward = ctx.function(backward_name)
    try:
        with quiet():
            backward(None, None)
    except NotImplementedError:
        raise
    except BaseException as error:  # anything else: it has been started on
        if isinstance(error, (KeyboardInterrupt, TimeUp)):
            raise
    raise NotChecked("not checked: %s must be ok first (this check builds on it)" % forward_name)


# ------------------------------------------------------------------ checks


class KnownOutputs:
    """A forward pass against the expected output of every public case (train mode for batch norm).

    Also: it returns (out, cache), leaves its input arrays and the 'mode',
    'eps', 'momentum' of its param dict unchanged. The backward passes build
    on this check (basis).
    """

    title = "known outputs"
    basis = True

    def run(self, ctx, name):
        forward = ctx.function(name)
        cases = CASES[name]
        for case in cases:
            arrays = case.arrays()
            before = {key: value.copy() for key, value in arrays.items()}
            param = dict(case.param)
            with quiet():
                out, _ = expect_pair(call_forward(forward, arrays, case, param), "out, cache")
            comparison = compare(ctx, out, expected(case.key), "out", case, "output")
            unchanged(before, arrays, name, case)
            settings_kept(param, case.param, name, case)
            ctx.log.append((name, self.title, case.label, True, str(comparison)))
        return "%d cases" % len(cases)


class RunningAverages:
    """Batch norm's running averages after train calls, and the test-mode output that uses them."""

    title = "running averages and test mode"
    basis = False

    def run(self, ctx, name):
        forward = ctx.function(name)
        sequences = SEQUENCES[name]
        for sequence in sequences:
            trains, test, gamma, beta = sequence.make()
            bn_param = dict(sequence.init)
            for x in trains:
                with quiet():
                    expect_pair(forward(x, gamma, beta, bn_param), "out, cache")
                settings_kept(bn_param, sequence.init, name, sequence)
                for key in ("running_mean", "running_var"):
                    if key not in bn_param:
                        raise CheckFailed("train mode did not store bn_param['%s'], case %s" % (key, sequence.label))
            texts = []
            for key in ("running_mean", "running_var"):
                texts.append(
                    compare(
                        ctx,
                        bn_param[key],
                        expected(sequence.key, key),
                        "bn_param['%s']" % key,
                        sequence,
                        "running averages",
                    )
                )
            kept = {key: np.array(bn_param[key], copy=True) for key in ("running_mean", "running_var")}
            bn_param["mode"] = "test"
            before = test.copy()
            with quiet():
                out, _ = expect_pair(forward(test, gamma, beta, bn_param), "out, cache")
            texts.append(compare(ctx, out, expected(sequence.key, "test_out"), "test-mode out", sequence, "test mode"))
            for key, value in kept.items():
                if not np.array_equal(value, bn_param[key]):
                    raise CheckFailed(
                        "test mode changed bn_param['%s'] (it must only read the running "
                        "averages), case %s" % (key, sequence.label)
                    )
            if not np.array_equal(before, test):
                raise CheckFailed("%s modified its input x in test mode, case %s" % (name, sequence.label))
            ctx.log.append((name, self.title, sequence.label, True, "\n".join(texts)))
        return "%d sequence%s" % (len(sequences), "s" if len(sequences) > 1 else "")


def _failure_text(result):
    """`dx error 3.1e-02 > 1e-06 (4 of 40 elements)` for the failed inputs of a check_gradients result."""
    parts = []
    for check in result.failures:
        comparison = check.elementwise
        if not comparison.passed:
            if comparison.problem == "values":
                parts.append(
                    "d%s error %.1e > %.0e (%d of %d elements)"
                    % (check.name, comparison.error, comparison.rtol, comparison.mismatches, comparison.size)
                )
            else:
                parts.append(str(comparison))
        else:
            parts.append("d%s error %.1e along a random direction" % (check.name, check.projection.error))
    return ", ".join(parts)


def gradient_check(ctx, name, case, between=None):
    """Check backward `name` on `case` against numerical gradients of its forward pass.

    `between`, when given, is called after the forward call whose cache the
    backward gets and before the backward call (to interleave another call).
    Returns the harness's result text.
    """
    need_harness(ctx)
    forward_name = FORWARD_OF[name]
    forward, backward = ctx.function(forward_name), ctx.function(name)
    arrays = case.arrays()
    with quiet():
        out, cache = expect_pair(call_forward(forward, arrays, case), "out, cache")
    if not isinstance(out, np.ndarray):
        raise NotChecked("not checked: %s returned no array" % forward_name)
    dout = upstream(out.shape)
    if between is not None:
        between()
    with quiet():
        grads = expect_triple(backward(dout.copy(), cache))
    names = list(arrays)
    for key, grad in zip(names, grads):
        if isinstance(grad, np.ndarray) and grad.shape != arrays[key].shape:
            raise CheckFailed(
                "gradient check, case %s: d%s has shape %s, expected %s (the shape of %s)"
                % (case.label, key, grad.shape, arrays[key].shape, key)
            )

    def f(*values):
        with quiet():
            return call_forward(forward, dict(zip(names, values)), case)[0]

    try:
        with quiet():
            result = ctx.harness.check_gradients(f, arrays, dict(zip(names, grads)), dout)
    except (TypeError, ValueError) as error:
        frames = traceback.extract_tb(error.__traceback__)
        if frames and os.path.basename(frames[-1].filename) == "gradient_check.py":
            raise CheckFailed("gradient check, case %s: %s" % (case.label, error)) from error
        raise
    return result


class Gradients:
    """A backward pass against numerical gradients of its own forward pass, on the forward's cases."""

    title = "gradient check"
    basis = False

    def run(self, ctx, name):
        cases = CASES[FORWARD_OF[name]]
        for case in cases:
            result = gradient_check(ctx, name, case)
            if not result.passed:
                raise CheckFailed(
                    "gradient check, case %s: %s" % (case.label, _failure_text(result)),
                    "case: %s\n%s" % (case.label, result),
                )
            ctx.log.append((name, self.title, case.label, True, str(result)))
        return "%d cases" % len(cases)


class SecondForward:
    """The backward pass gets the cache of the first of two forward calls.

    Everything the backward pass needs must travel in its cache: a value kept
    in a global variable or in the param dict belongs to the last forward call.
    """

    title = "second forward call before the backward"
    basis = False

    def run(self, ctx, name):
        forward_name = FORWARD_OF[name]
        first, second = CASES[forward_name][0], CASES[forward_name][1]
        forward = ctx.function(forward_name)

        def other_call():
            with quiet():
                call_forward(forward, second.arrays(), second)

        advice = "Keep what the backward needs in cache, not in global variables or the param dict"
        try:
            result = gradient_check(ctx, name, first, between=other_call)
        except (CheckFailed, NotChecked, NotImplementedError):
            raise
        except Exception as error:  # only this order of calls breaks it
            raise CheckFailed(
                "after a second forward call (case %s) before the backward, the backward on case "
                "%s raised %s. %s" % (second.label, first.label, describe_error(error), advice)
            ) from error
        if not result.passed:
            raise CheckFailed(
                "after a second forward call (case %s) before the backward, the gradients of "
                "case %s are wrong: %s. %s" % (second.label, first.label, _failure_text(result), advice),
                "case: %s, then a forward call on %s\n%s" % (first.label, second.label, result),
            )
        ctx.log.append((name, self.title, first.label, True, str(result)))
        return "second forward call first"


class Vectorized:
    """conv_forward_fast / conv_backward_fast: no Python loop over N, H' or W'.

    The same check as the autograder's (layers/vectorization.py): the function
    runs on a small input and with N, H' and W' grown 2x and 4x, and every line
    of layers/conv.py is counted. A line whose count grows is a loop.
    """

    title = "vectorized (line counts as N, H' and W' grow)"
    basis = False

    def run(self, ctx, name):
        import linecache

        from layers import vectorization

        module = ctx.modules["conv"]
        cached = getattr(self, "_verdict", None)
        if cached is None or cached[0] is not module:
            with quiet():
                cached = (module, vectorization.check_module(module))
            self._verdict = cached
        verdict = cached[1][name]
        if isinstance(verdict, str):
            raise NotChecked("vectorization not checked: %s" % verdict)
        if verdict:
            import inspect

            try:
                body, first = inspect.getsourcelines(getattr(module, name))
                span = (first, first + len(body) - 1)
            except (OSError, TypeError):
                span = None
            lines = []
            for growth in vectorization.rank(verdict, span)[:3]:
                source = linecache.getline(module.__file__, growth.line)
                lines.append(growth.describe(source).replace(module.__file__, "layers/conv.py"))
            raise CheckFailed("not vectorized: " + lines[0], "\n".join(lines))
        ctx.log.append((name, self.title, "", True, "the same lines run at every size"))
        return "vectorized"


# One row per (function, check), run in this order. A check is an object with
# `title` (words for -v), `basis` (True when the backward passes build on it)
# and `run(ctx, name)`, which returns a short note ("3 cases") or raises
# CheckFailed / NotChecked / whatever the student's code raised. A backward's
# checks run only once every `basis` check of its forward pass has passed.
TABLE = (
    ("conv_forward_naive", KnownOutputs()),
    ("conv_backward_naive", Gradients()),
    ("conv_backward_naive", SecondForward()),
    ("conv_forward_fast", KnownOutputs()),
    ("conv_forward_fast", Vectorized()),
    ("conv_backward_fast", Gradients()),
    ("conv_backward_fast", SecondForward()),
    ("conv_backward_fast", Vectorized()),
    ("batchnorm_forward", KnownOutputs()),
    ("batchnorm_forward", RunningAverages()),
    ("batchnorm_backward", Gradients()),
    ("batchnorm_backward", SecondForward()),
    ("batchnorm_backward_alt", Gradients()),
    ("batchnorm_backward_alt", SecondForward()),
    ("spatial_batchnorm_forward", KnownOutputs()),
    ("spatial_batchnorm_forward", RunningAverages()),
    ("spatial_batchnorm_backward", Gradients()),
    ("spatial_batchnorm_backward", SecondForward()),
    ("layernorm_forward", KnownOutputs()),
    ("layernorm_backward", Gradients()),
    ("layernorm_backward", SecondForward()),
    ("spatial_groupnorm_forward", KnownOutputs()),
    ("spatial_groupnorm_backward", Gradients()),
    ("spatial_groupnorm_backward", SecondForward()),
    ("instancenorm_forward", KnownOutputs()),
    ("instancenorm_backward", Gradients()),
    ("instancenorm_backward", SecondForward()),
)


# -------------------------------------------------------------------- driver


def import_module(name):
    """Import layers.<name>; return (module, None) or (None, short reason)."""
    import importlib

    try:
        with time_limit(TIME_LIMIT), contextlib.redirect_stdout(Discard()), contextlib.redirect_stderr(Discard()):
            return importlib.import_module("layers." + name), None
    except TimeUp:
        return None, "importing it took more than %.0f s" % TIME_LIMIT
    except SyntaxError as error:
        return None, "SyntaxError: %s (layers/%s:%s)" % (
            error.msg,
            os.path.basename(error.filename or name + ".py"),
            error.lineno,
        )
    except BaseException as error:  # noqa: BLE001 - any failure is reported, never raised
        if isinstance(error, KeyboardInterrupt):
            raise
        return None, describe_error(error)


def run_function(ctx, name):
    """Run every check of `name` in TABLE; return (status line, -v detail text)."""
    module_key = MODULE_OF[name]
    if ctx.modules[module_key] is None:
        return "ERROR: layers/%s.py does not import" % module_key, ""
    checks = [check for function, check in TABLE if function == name]
    notes = []
    try:
        with time_limit(TIME_LIMIT):
            ctx.function(name)
            forward = FORWARD_OF.get(name)
            if forward is not None and not ctx.basis_ok.get(forward):
                probe_backward(ctx, name, forward)
            for check in checks:
                note = check.run(ctx, name)
                if note:
                    notes.append(note)
                if check.basis:
                    ctx.basis_ok[name] = True
    except NotImplementedError:
        return "NOT IMPLEMENTED", ""
    except Missing as problem:
        return problem.summary, problem.detail
    except CheckFailed as problem:
        return "FAILED " + problem.summary, problem.detail
    except NotChecked as reason:
        return str(reason), ""
    except TimeUp:
        return "TOO SLOW (stopped after %.0f s)" % TIME_LIMIT, ""
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # noqa: BLE001 - the student's code may raise anything
        return "ERROR: " + describe_error(error), ""
    return "ok" + (" (%s)" % ", ".join(notes) if notes else ""), ""


def needed(names):
    """`names` with the forward passes their checks build on, in ALL_FUNCTIONS order."""
    wanted = set(names)
    for name in names:
        if name in FORWARD_OF:
            wanted.add(FORWARD_OF[name])
    return [name for name in ALL_FUNCTIONS if name in wanted]


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if any(arg in ("-h", "--help") for arg in argv):
        print(__doc__.strip())
        return EXIT_OK
    verbose = any(arg in ("-v", "--verbose") for arg in argv)
    names = [arg for arg in argv if arg not in ("-v", "--verbose")]
    unknown = [arg for arg in names if arg not in ALL_FUNCTIONS]
    if unknown:
        print("selfcheck: unknown function(s): %s" % ", ".join(unknown))
        print("known: " + ", ".join(ALL_FUNCTIONS))
        return EXIT_USAGE
    if np is None:
        print("selfcheck: numpy cannot be imported in %s (%s)." % (sys.executable, NUMPY_ERROR))
        print("Set up the environment described in README.md, then run it again.")
        return EXIT_CANNOT_RUN
    wanted = names or list(ALL_FUNCTIONS)
    started = time.time()

    modules, reasons = {}, {}
    for key in ("conv", "norm"):
        modules[key], reasons[key] = import_module(key)
    harness, harness_error = import_module("gradient_check")
    ctx = Context(modules, harness, harness_error)

    print("Self-check of layers/conv.py and layers/norm.py (public checks, advice only:")
    print("the autograder runs its own tests; 'ok' here does not promise full marks)")
    for key in ("conv", "norm"):
        if modules[key] is None and any(MODULE_OF[n] == key for n in wanted):
            print("layers/%s.py does not import: %s" % (key, reasons[key]))
    results = {}
    for name in needed(wanted):
        results[name] = run_function(ctx, name)
    counts = {"ok": 0, "not implemented": 0, "to look at": 0}
    for name in wanted:
        status, detail = results[name]
        print("%s: %s" % (name, status))
        if verbose:
            for function, title, label, _, text in ctx.log:
                if function == name:
                    print("    %s, %s: ok" % (title, label))
                    for line in text.splitlines():
                        print("        " + line)
            for line in detail.splitlines():
                print("    " + line)
        if status.startswith("ok"):
            counts["ok"] += 1
        elif status == "NOT IMPLEMENTED":
            counts["not implemented"] += 1
        else:
            counts["to look at"] += 1
    print(
        "%d ok, %d not implemented, %d to look at (%.1f s)%s."
        % (
            counts["ok"],
            counts["not implemented"],
            counts["to look at"],
            time.time() - started,
            ""
            if verbose or counts["ok"] == len(wanted)
            else "; -v shows every case, the worst element and both values",
        )
    )
    return EXIT_OK if counts["ok"] == len(wanted) else EXIT_PROBLEMS


# ------------------------------------------------------- expected outputs
# Known answers of the public cases above, from the reference solution
# (tests/test_selfcheck.py recomputes them and fails on any difference).
# Each entry is (shape, values in C order); a sequence's entry holds three:
# running_mean, running_var (after the train calls) and test_out. Conv
# outputs are exact integers; the other values are rounded to 12 digits.

EXPECTED = {}
# fmt: off
# BEGIN EXPECTED
EXPECTED["conv-pad0"] = ((1, 3, 3, 3), [
    18, -15, -6, 0, -5, 18, 17, -16, 0, 1, -15, 18, 19, -4, 1, -5, -14, 19, -1, 10, 7, -2, 2, -1, -17, 8, -2,
])
EXPECTED["conv-stride2"] = ((1, 2, 3, 3), [
    -12, -5, 16, -7, -4, -14, -6, 16, -8, -1, 7, 1, 1, -3, -7, 3, 5, -13,
])
EXPECTED["conv-stride3"] = ((2, 2, 2, 2), [
    -7, -3, -8, -7, 3, -2, 3, -5, 1, 5, 1, -1, -1, -3, 0, 2,
])
EXPECTED["bn-plain"] = ((4, 3), [
    -1.4522666514, 0, 0.321601667499, -0.246222247669, -1.76776673472, 2.1306638875, -0.849244449534,
    1.76776673472, 1.2261327775, -1.4522666514, 0, 0.321601667499,
])
EXPECTED["bn-tiny"] = ((6, 2), [
    -1.12321601452, 0.139657298011, -1.07392960871, 0.418971894032, -1.0246432029, 0.698286490054,
    -0.975356797095, 0.977601086075, -0.926070391286, -1.2569156821, -0.876783985477, -0.977601086075,
])
EXPECTED["sbn-plain"] = ((2, 3, 2, 4), [
    -1.84525180097, -0.744458757848, -1.37348335391, -0.272690310797, -0.901714906865, -1.53073950293,
    -0.429946459814, -1.05897105588, -1.53392989749, 1.15044742312, -0.383482474372, -1.91741237186,
    0.766964948745, -0.766964948745, 1.91741237186, 0.383482474372, 0.380804831989, 2.03199194669,
    1.08845645257, 0.144920958461, 1.79610807316, 0.852572579045, -0.0909629150673, 1.56022419963,
    -1.37348335391, -0.272690310797, -0.901714906865, -1.53073950293, -0.429946459814, -1.05897105588,
    -1.68799565195, -0.587202608831, -0.383482474372, -1.91741237186, 0.766964948745, -0.766964948745,
    1.91741237186, 0.383482474372, -1.15044742312, 1.53392989749, 1.08845645257, 0.144920958461,
    1.79610807316, 0.852572579045, -0.0909629150673, 1.56022419963, 0.616688705517, 2.26787582021,
])
EXPECTED["sbn-tiny"] = ((3, 2, 3, 2), [
    -1.26508884086, -0.931076901378, -1.12194086679, -0.787928927315, -0.978792892732, -1.16965685815,
    1.33528591199, 0.230221708964, -0.874842494062, 1.05901986123, -0.0460443417927, -1.15110854482,
    -0.931076901378, -1.12194086679, -0.787928927315, -0.978792892732, -1.16965685815, -0.835644918669,
    0.230221708964, -0.874842494062, 1.05901986123, -0.0460443417927, -1.15110854482, 0.782753810476,
    -1.12194086679, -0.787928927315, -0.978792892732, -1.16965685815, -0.835644918669, -1.02650888409,
    -0.874842494062, 1.05901986123, -0.0460443417927, -1.15110854482, 0.782753810476, -0.322310392549,
])
EXPECTED["ln-plain"] = ((3, 5), [
    -1.20560179692, 0.771006738439, 0.787973146929, 1.7744698784, -0.93921257842, -0.408103008137,
    -0.777491811346, 1.43639862959, 0.222314973121, -1.12520868952, -0.528162112214, -2.30557149713,
    1.38604918092, -0.853878415839, 1.12196812481,
])
EXPECTED["ln-tiny"] = ((2, 7), [
    -1.15879836189, 0.439683636422, 0.941090930266, 0.17105114219, 0.278023795204, -0.931699629294,
    -0.396995904731, -0.759368180421, 0.133684344211, 0.939842045105, -0.0588416641046, 0.185841791105,
    -0.923131502079, -0.802106065264,
])
EXPECTED["gn-c6-g3"] = ((1, 6, 2, 3), [
    -1.16805190698, -0.712685449362, -0.972894853713, -0.517528396098, -0.77773780045, -1.0379472048,
    1.85670252063, -0.0948680120032, -2.04643854464, 1.36880988747, -0.582760645162, -2.5343311778,
    1.1393913489, 0.787244783265, 1.40350127312, 1.05135470749, 0.699208141857, 1.31546463171,
    -0.0451440193934, -2.86231654444, 2.06773537439, -0.749437150655, -3.5666096757, 1.36344224313,
    -1.09452609761, 2.10723148484, 0.277655723441, -1.55192003796, 1.64983754449, -0.179738216908,
    -0.958707491496, -0.691894359626, -0.844359006409, -0.996823653192, -0.730010521322, -0.882475168105,
])
EXPECTED["gn-tiny"] = ((2, 6, 2, 2), [
    -1.23259608259, -0.919986947591, -1.09862073902, -0.786011604021, 0.311678750665, -1.02807468503,
    1.31649382743, -0.0232596082586, 0.852068891476, 1.08652574272, 0.952550399153, 0.818575055583,
    -0.0327797065108, -1.13347045927, 0.792738358059, -0.307952394701, 0.0318242457879, 0.994928654453,
    0.444583278073, -0.105762098307, -0.99331177494, -1.03917388964, -1.08503600434, -1.00477730361,
    -1.11143007834, -0.809490511218, -0.982027406719, -1.15456430222, 1.23112263977, -0.0629040764847,
    -1.35693079274, 0.907615960707, 0.929906886203, 0.800504214577, 1.02695888992, 0.897556218296,
    0.736916071471, -0.352477899733, -1.44187187094, 0.46456757867, 0.416782404977, -0.127914580625,
    0.825305144179, 0.280608158577, -1.09834806684, -1.01891308978, -1.06430450524, -0.984869528178,
])
EXPECTED["gn-g-is-c"] = ((1, 3, 2, 3), [
    -1.69652572281, -0.651737138593, -1.24875918672, -0.203970602498, -0.800992650625, -1.39801469875,
    1.70246220739, 0.189162467488, -1.32413727242, 1.32413727242, -0.189162467488, -1.70246220739,
    1.21472386848, 0.184049299779, 1.987729795, 0.957055226304, -0.0736193423958, 1.73006115283,
])
EXPECTED["in-plain"] = ((2, 3, 2, 3), [
    -1.69652572281, -0.651737138593, -1.24875918672, -0.203970602498, -0.800992650625, -1.39801469875,
    1.70246220739, 0.189162467488, -1.32413727242, 1.32413727242, -0.189162467488, -1.70246220739,
    1.21472386848, 0.184049299779, 1.987729795, 0.957055226304, -0.0736193423958, 1.73006115283,
    -0.856850500903, -1.54396809657, -0.341512304155, -1.02862989982, -1.71574749548, -0.513291703071,
    -1.21677138063, 1.7893696774, 0.0715747870958, -1.6462201032, 1.35992095482, -0.357873935479,
    0.269938847171, 2.0736193424, 1.0429447737, 0.0122702049958, 1.81595070022, 0.785276131521,
])
EXPECTED["in-tiny"] = ((1, 2, 4, 3), [
    -1.21744056688, -0.885349519282, -1.07511583219, -0.743024784597, -0.93279109751, -1.12255741042,
    -0.790466362825, -0.980232675738, -1.16999898865, -0.837907941053, -1.02767425397, -1.21744056688,
    0.50511887138, -0.596958666176, 1.33167702455, 0.229599486991, -0.872478050565, 1.05615764016,
    -0.0459198973982, -1.14799743495, 0.780638255769, -0.321439281787, -1.42351681934, 0.50511887138,
])
EXPECTED["bn-seq-default"] = {
    "running_mean": ((4,), [
        0.1, -0.04, 0.03, 0.59,
    ]),
    "running_var": ((4,), [
        0.306666666667, 8.97, 0.0766666666667, 3.98666666667,
    ]),
    "test_out": ((2, 4), [
        -1.09028791774, 3.3555954601, -0.435507681034, 6.19365702627, -2.89604627255, 0.851419743607,
        -3.14401273959, 3.18864826027,
    ]),
}
EXPECTED["bn-seq-explicit"] = {
    "running_mean": ((2,), [
        0.4, 1.544,
    ]),
    "running_var": ((2,), [
        0.68, 23.7456,
    ]),
    "test_out": ((3, 2), [
        -1.24077170617, 1.65573386946, -1.8427009716, 0.886340807444, -2.44463023703, 0.116947745427,
    ]),
}
EXPECTED["sbn-seq"] = {
    "running_mean": ((2,), [
        1.46333333333, -0.92,
    ]),
    "running_var": ((2,), [
        3.53930555556, 29.75,
    ]),
    "test_out": ((1, 2, 3, 2), [
        -2.18623213314, -0.325823261153, -1.38891404514, 0.471494826839, -0.591595957151, -1.65468674114,
        2.73176106202, -0.0183339668592, -2.76842899574, 2.0442373048, -0.70585772408, -3.45595275296,
    ]),
}
# END EXPECTED
# fmt: on


if __name__ == "__main__":
    try:
        status = main()
    except KeyboardInterrupt:
        print("selfcheck: interrupted")
        status = EXIT_CANNOT_RUN
    except BaseException:  # noqa: BLE001 - report it in one line, never a traceback
        print("selfcheck: stopped by an unexpected problem:")
        print(traceback.format_exc().strip().splitlines()[-1])
        status = EXIT_CANNOT_RUN
    sys.exit(status)
