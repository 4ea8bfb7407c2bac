"""Quick self-check of your layers: a few public checks, in seconds.

Run it from the handout folder (the one that holds collate.sh):

    python -m layers.selfcheck                      # every function
    python -m layers.selfcheck layernorm_backward   # only the ones you name

For each function of layers/conv.py and layers/norm.py it calls your code on
tiny random inputs and checks what the assignment's contract fixes: the shapes
and dtype of what a forward pass returns (and that it leaves its inputs alone),
a numerical gradient check of every backward pass against your own forward
pass, that the naive and fast convolutions agree, and that the two batchnorm
backward passes agree. It prints one line per function, for example

    conv_forward_naive: ok
    batchnorm_backward: NOT IMPLEMENTED
    layernorm_backward: gradient check FAILED (dx error 3.1e-02)

This is advice, not a grade: the autograder runs its own, more thorough tests,
and "ok" here does not promise full marks there. The check never stops with an
error of its own (it always exits with status 0) and writes no files.
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
# One screen: a status line is cut to this many characters.
LINE_WIDTH = 100

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
STUDENT_FILES = ("conv.py", "norm.py")

try:
    import numpy as np
except Exception as numpy_error:  # reported by main()
    np = None
    NUMPY_ERROR = numpy_error
else:
    NUMPY_ERROR = None


# ---------------------------------------------------------------- outcomes


class CheckFailed(Exception):
    """A check found a problem; the message says which, in a few words."""


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


def shorten(text, width=LINE_WIDTH):
    return text if len(text) <= width else text[: width - 3] + "..."


# ------------------------------------------------------------------ helpers


class Context:
    """What the checks share: the student's modules, the harness, earlier results."""

    def __init__(self, modules, harness, harness_error):
        self.modules = modules  # {"conv": module or None, "norm": module or None}
        self.harness = harness
        self.harness_error = harness_error
        self.status = {}  # function name -> "ok" / other status text

    def works(self, name):
        return self.status.get(name, "").startswith("ok")

    def function(self, name):
        module = self.modules["conv" if name in CONV_FUNCTIONS else "norm"]
        func = getattr(module, name, None)
        if not callable(func):
            raise CheckFailed("MISSING: no function %s in layers/%s" % (
                name, "conv.py" if name in CONV_FUNCTIONS else "norm.py"))
        return func


def random_array(rng, *shape):
    return rng.standard_normal(shape)


def expect_pair(result, what):
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise CheckFailed("returned %s, expected a pair (%s)" % (type(result).__name__, what))
    return result


def expect_triple(result):
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        raise CheckFailed("returned %s, expected three gradients" % type(result).__name__)
    return result


def expect_array(value, label, shape):
    if not isinstance(value, np.ndarray):
        raise CheckFailed("%s is a %s, expected a numpy array" % (label, type(value).__name__))
    if value.shape != tuple(shape):
        raise CheckFailed("%s has shape %s, expected %s" % (label, value.shape, tuple(shape)))
    if value.dtype != np.float64:
        raise CheckFailed("%s has dtype %s, expected float64" % (label, value.dtype))
    if not np.all(np.isfinite(value)):
        raise CheckFailed("%s contains nan or inf" % label)


def unchanged(before, after, label):
    for key, original in before.items():
        if not np.array_equal(original, after[key]):
            raise CheckFailed("%s modified its input %s" % (label, key))


def from_harness(error):
    """True when `error` was raised by the harness itself (a complaint about the inputs or outputs)."""
    frames = traceback.extract_tb(error.__traceback__)
    return bool(frames) and os.path.basename(frames[-1].filename) == "gradient_check.py"


def agree(ctx, actual, expected, label, other):
    """Fail unless `actual` matches `expected`, computed by the function `other`."""
    if ctx.harness is not None:
        comparison = ctx.harness.compare_arrays(actual, expected, name=label)
        if comparison.passed:
            return
        error = comparison.error
    else:
        if np.allclose(actual, expected, rtol=1e-7, atol=1e-10):
            return
        error = float(np.max(np.abs(actual - expected)))
    detail = "%s error %.1e" % (label, error) if error is not None else str(comparison)
    raise CheckFailed("differs from %s (%s)" % (other, detail))


def need_harness(ctx):
    if ctx.harness is None:
        raise NotChecked("gradient check not run: layers/gradient_check.py does not import (%s); "
                         "restore it from the handout" % ctx.harness_error)


def probe_backward(ctx, backward_name, forward_name):
    """A backward whose forward does not work yet: say NOT IMPLEMENTED if it is still the stub."""
    backward = ctx.function(backward_name)
    try:
        with quiet():
            backward(None, None)
    except NotImplementedError:
        raise
    except BaseException as error:  # anything else: it has been started on
        if isinstance(error, (KeyboardInterrupt, TimeUp)):
            raise
    raise NotChecked("not checked: %s must work first" % forward_name)


def describe_failure(check):
    """`dx error 3.1e-02` for one failed input of the harness's check_gradients."""
    comparison = check.elementwise
    label = "d" + check.name
    if not comparison.passed:
        if comparison.problem == "values":
            return "%s error %.1e" % (label, comparison.error)
        if comparison.problem == "nonfinite":
            return "%s not finite" % label
        return str(comparison)
    return "%s error %.1e along a random direction" % (label, check.projection.error)


def gradient_check(ctx, label, forward, backward, inputs, dout_shape, rng):
    """Check `backward`'s gradients against numerical ones of `forward`, with the harness."""
    need_harness(ctx)
    dout = random_array(rng, *dout_shape)
    arrays = dict(inputs)
    with quiet():
        out, cache = expect_pair(forward(**arrays), "out, cache")
        grads = expect_triple(backward(dout.copy(), cache))
    names = list(inputs)
    for grad, key in zip(grads, names):
        expect_array(grad, "d" + key, inputs[key].shape)

    def f(*values):
        with quiet():
            return forward(*values)[0]

    try:
        with quiet():
            result = ctx.harness.check_gradients(f, arrays, dict(zip(names, grads)), dout)
    except (TypeError, ValueError) as error:
        if from_harness(error):
            raise CheckFailed("gradient check: %s" % error)
        raise
    if not result.passed:
        raise CheckFailed("gradient check FAILED (%s)" % ", ".join(describe_failure(c) for c in result.failures))
    return grads


# ------------------------------------------------------------ conv checks

CONV_CASES = (
    # x shape, w shape, conv_param
    ((2, 3, 6, 5), (2, 3, 3, 3), {"stride": 1, "pad": 1}),
    ((1, 2, 6, 7), (3, 2, 3, 2), {"stride": 2, "pad": 0}),  # stride does not divide evenly
)


def conv_out_shape(x_shape, w_shape, conv_param):
    n, _, h, w = x_shape
    f, _, hh, ww = w_shape
    s, p = conv_param["stride"], conv_param["pad"]
    return (n, f, 1 + (h + 2 * p - hh) // s, 1 + (w + 2 * p - ww) // s)


def check_conv_forward(ctx, name):
    forward = ctx.function(name)
    rng = np.random.default_rng(1)
    outputs = []
    for x_shape, w_shape, conv_param in CONV_CASES:
        x, w, b = random_array(rng, *x_shape), random_array(rng, *w_shape), random_array(rng, w_shape[0])
        before = {"x": x.copy(), "w": w.copy(), "b": b.copy()}
        with quiet():
            out, _ = expect_pair(forward(x, w, b, dict(conv_param)), "out, cache")
        expect_array(out, "out", conv_out_shape(x_shape, w_shape, conv_param))
        unchanged(before, {"x": x, "w": w, "b": b}, name)
        outputs.append((x, w, b, conv_param, out))
    note = ""
    if name == "conv_forward_fast":
        if ctx.works("conv_forward_naive"):
            naive = ctx.function("conv_forward_naive")
            for x, w, b, conv_param, out in outputs:
                with quiet():
                    expected = naive(x, w, b, dict(conv_param))[0]
                agree(ctx, out, expected, "out", "conv_forward_naive")
        else:
            note = " (not compared: conv_forward_naive does not work yet)"
    return "ok" + note


def check_conv_backward(ctx, name):
    forward_name = name.replace("backward", "forward")
    backward = ctx.function(name)
    if not ctx.works(forward_name):
        probe_backward(ctx, name, forward_name)
    forward = ctx.function(forward_name)
    rng = np.random.default_rng(2)
    results = []
    for x_shape, w_shape, conv_param in (((2, 2, 4, 4), (3, 2, 3, 3), {"stride": 1, "pad": 1}),
                                         ((1, 2, 5, 6), (2, 2, 2, 3), {"stride": 2, "pad": 1})):
        inputs = {"x": random_array(rng, *x_shape), "w": random_array(rng, *w_shape),
                  "b": random_array(rng, w_shape[0])}

        def run(x, w, b, conv_param=conv_param):
            return forward(x, w, b, dict(conv_param))

        grads = gradient_check(ctx, name, run, backward, inputs,
                               conv_out_shape(x_shape, w_shape, conv_param), rng)
        results.append(grads)
    note = ""
    if name == "conv_backward_fast":
        if ctx.works("conv_backward_naive") and ctx.works("conv_forward_naive"):
            rng = np.random.default_rng(3)
            x_shape, w_shape, conv_param = CONV_CASES[1]
            x, w, b = random_array(rng, *x_shape), random_array(rng, *w_shape), random_array(rng, w_shape[0])
            dout = random_array(rng, *conv_out_shape(x_shape, w_shape, conv_param))
            with quiet():
                fast = backward(dout.copy(), forward(x, w, b, dict(conv_param))[1])
                naive = ctx.function("conv_backward_naive")(
                    dout.copy(), ctx.function("conv_forward_naive")(x, w, b, dict(conv_param))[1])
            for label, a, e in zip(("dx", "dw", "db"), fast, naive):
                agree(ctx, a, e, label, "conv_backward_naive")
        else:
            note = " (not compared: conv_backward_naive does not work yet)"
    return "ok" + note


# ------------------------------------------------------------ norm checks


def norm_setup(name, rng):
    """Inputs, call, and output shape of a normalization forward (train mode where it has modes)."""
    if name in ("batchnorm_forward", "layernorm_forward"):
        n, d = 3, 7
        inputs = {"x": 3.0 * random_array(rng, n, d) + 1.0,
                  "gamma": 1.0 + 0.1 * random_array(rng, d), "beta": random_array(rng, d)}
        shape = (n, d)
    elif name in ("spatial_batchnorm_forward", "instancenorm_forward"):
        n, c, h, w = 2, 3, 3, 2
        inputs = {"x": 2.0 * random_array(rng, n, c, h, w) - 1.0,
                  "gamma": 1.0 + 0.1 * random_array(rng, c), "beta": random_array(rng, c)}
        shape = (n, c, h, w)
    else:  # spatial_groupnorm_forward
        n, c, h, w = 2, 4, 2, 3
        inputs = {"x": 2.0 * random_array(rng, n, c, h, w) + 0.5,
                  "gamma": 1.0 + 0.1 * random_array(rng, 1, c, 1, 1), "beta": random_array(rng, 1, c, 1, 1)}
        shape = (n, c, h, w)
    return inputs, shape


def norm_call(ctx, name, param=None):
    """A function of (x, gamma, beta) calling the forward `name` with a fresh param dict each time."""
    forward = ctx.function(name)
    if name in ("batchnorm_forward", "spatial_batchnorm_forward"):
        def run(x, gamma, beta):
            return forward(x, gamma, beta, dict(param) if param is not None else {"mode": "train"})
    elif name == "spatial_groupnorm_forward":
        def run(x, gamma, beta):
            return forward(x, gamma, beta, 2, {"eps": 1e-5})
    else:
        def run(x, gamma, beta):
            return forward(x, gamma, beta, {"eps": 1e-5})
    return run


def check_norm_forward(ctx, name):
    ctx.function(name)
    rng = np.random.default_rng(4)
    inputs, shape = norm_setup(name, rng)
    before = {key: value.copy() for key, value in inputs.items()}
    if name in ("batchnorm_forward", "spatial_batchnorm_forward"):
        forward = ctx.function(name)
        channels = inputs["gamma"].shape[0]
        bn_param = {"mode": "train"}
        with quiet():
            out, _ = expect_pair(forward(inputs["x"], inputs["gamma"], inputs["beta"], bn_param), "out, cache")
        expect_array(out, "train-mode out", shape)
        for key in ("running_mean", "running_var"):
            if key not in bn_param:
                raise CheckFailed("train mode did not set bn_param['%s']" % key)
            expect_array(np.asarray(bn_param[key]), "bn_param['%s']" % key, (channels,))
        kept = {key: np.array(bn_param[key], copy=True) for key in ("running_mean", "running_var")}
        bn_param["mode"] = "test"
        with quiet():
            out, _ = expect_pair(forward(inputs["x"], inputs["gamma"], inputs["beta"], bn_param), "out, cache")
        expect_array(out, "test-mode out", shape)
        for key, value in kept.items():
            if not np.array_equal(value, bn_param[key]):
                raise CheckFailed("test mode changed bn_param['%s']" % key)
    else:
        with quiet():
            out, _ = expect_pair(norm_call(ctx, name)(**inputs), "out, cache")
        expect_array(out, "out", shape)
    unchanged(before, inputs, name)
    return "ok"


def check_norm_backward(ctx, name):
    forward_name = name.replace("backward_alt", "forward").replace("backward", "forward")
    backward = ctx.function(name)
    if not ctx.works(forward_name):
        probe_backward(ctx, name, forward_name)
    rng = np.random.default_rng(5)
    inputs, shape = norm_setup(forward_name, rng)
    gradient_check(ctx, name, norm_call(ctx, forward_name), backward, inputs, shape, rng)
    note = ""
    if name == "batchnorm_backward_alt":
        if ctx.works("batchnorm_backward"):
            dout = random_array(rng, *shape)
            run = norm_call(ctx, forward_name)
            with quiet():
                alt = backward(dout.copy(), run(**inputs)[1])
                plain = ctx.function("batchnorm_backward")(dout.copy(), run(**inputs)[1])
            for label, a, e in zip(("dx", "dgamma", "dbeta"), alt, plain):
                agree(ctx, a, e, label, "batchnorm_backward")
        else:
            note = " (not compared: batchnorm_backward does not work yet)"
    return "ok" + note


CHECKS = {
    "conv_forward_naive": check_conv_forward,
    "conv_backward_naive": check_conv_backward,
    "conv_forward_fast": check_conv_forward,
    "conv_backward_fast": check_conv_backward,
}
for _name in NORM_FUNCTIONS:
    CHECKS[_name] = check_norm_backward if "backward" in _name else check_norm_forward


# -------------------------------------------------------------------- driver


def import_module(name):
    """Import layers.<name>; return (module, None) or (None, short reason)."""
    import importlib

    try:
        with time_limit(TIME_LIMIT), contextlib.redirect_stdout(Discard()), \
                contextlib.redirect_stderr(Discard()):
            return importlib.import_module("layers." + name), None
    except TimeUp:
        return None, "importing it took more than %.0f s" % TIME_LIMIT
    except SyntaxError as error:
        return None, "SyntaxError: %s (layers/%s:%s)" % (error.msg, os.path.basename(error.filename or name + ".py"),
                                                         error.lineno)
    except BaseException as error:  # noqa: BLE001 - any failure is reported, never raised
        if isinstance(error, KeyboardInterrupt):
            raise
        return None, describe_error(error)


def run_one(ctx, name):
    module_key = "conv" if name in CONV_FUNCTIONS else "norm"
    if ctx.modules[module_key] is None:
        return "ERROR: layers/%s.py does not import" % module_key
    try:
        with time_limit(TIME_LIMIT):
            return CHECKS[name](ctx, name)
    except NotImplementedError:
        return "NOT IMPLEMENTED"
    except CheckFailed as problem:
        text = str(problem)
        if text.startswith("MISSING") or "FAILED" in text:
            return text
        return "FAILED (%s)" % text
    except NotChecked as reason:
        return str(reason)
    except TimeUp:
        return "TOO SLOW (stopped after %.0f s)" % TIME_LIMIT
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # noqa: BLE001 - the student's code may raise anything
        return "ERROR: " + describe_error(error)


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if any(arg in ("-h", "--help") for arg in argv):
        print(__doc__.strip())
        return 0
    unknown = [arg for arg in argv if arg not in ALL_FUNCTIONS]
    if unknown:
        print("selfcheck: unknown function(s): %s" % ", ".join(unknown))
        print("known: " + ", ".join(ALL_FUNCTIONS))
        return 0
    if np is None:
        print("selfcheck: numpy cannot be imported in %s (%s)." % (sys.executable, NUMPY_ERROR))
        print("Set up the environment described in README.md, then run it again.")
        return 0
    wanted = argv or list(ALL_FUNCTIONS)
    started = time.time()

    modules, reasons = {}, {}
    for key in ("conv", "norm"):
        modules[key], reasons[key] = import_module(key)
    harness, harness_error = import_module("gradient_check")
    ctx = Context(modules, harness, harness_error)

    print("Self-check of layers/conv.py and layers/norm.py (public checks, advice only:")
    print("the autograder runs its own tests; 'ok' here does not promise full marks)")
    for key in ("conv", "norm"):
        if modules[key] is None and any(n in (CONV_FUNCTIONS if key == "conv" else NORM_FUNCTIONS) for n in wanted):
            print(shorten("layers/%s.py does not import: %s" % (key, reasons[key])))
    # Prerequisites run first (a backward check builds on its forward), but are
    # printed only when asked for.
    order = []
    for name in wanted:
        forward = name.replace("backward_alt", "forward").replace("backward", "forward")
        for prerequisite in (forward, "conv_forward_naive" if name == "conv_forward_fast" else None,
                             "conv_backward_naive" if name == "conv_backward_fast" else None,
                             "conv_forward_naive" if name == "conv_backward_fast" else None,
                             "batchnorm_backward" if name == "batchnorm_backward_alt" else None):
            if prerequisite and prerequisite not in order:
                order.append(prerequisite)
        if name not in order:
            order.append(name)
    order.sort(key=ALL_FUNCTIONS.index)
    for name in order:
        ctx.status[name] = run_one(ctx, name)
    counts = {"ok": 0, "not implemented": 0, "to look at": 0}
    for name in wanted:
        status = ctx.status[name]
        print(shorten("%s: %s" % (name, status)))
        if status.startswith("ok"):
            counts["ok"] += 1
        elif status == "NOT IMPLEMENTED":
            counts["not implemented"] += 1
        else:
            counts["to look at"] += 1
    print("%d ok, %d not implemented, %d to look at (%.1f s)."
          % (counts["ok"], counts["not implemented"], counts["to look at"], time.time() - started))
    return 0


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("selfcheck: interrupted")
    except BaseException:  # noqa: BLE001 - advice only: never fail the caller
        print("selfcheck: stopped by an unexpected problem:")
        print(shorten(traceback.format_exc().strip().splitlines()[-1]))
    sys.exit(0)
