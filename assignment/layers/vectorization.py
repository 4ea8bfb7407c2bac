"""Is a fast conv vectorized? Count the Python work it does as the input grows.

This module is given code: `python -m layers.selfcheck` uses it on your
functions, and the autograder uses its own copy of it, in the same way.

"Vectorized" means here: no Python loop whose number of iterations grows
with N (samples), H' or W' (output rows and columns). Loops over F, C, HH or
WW are fine. The check runs your function on a small input and on inputs
with N, H' and W' each grown 2x and 4x, and counts, for every line of your
file, how often it ran (and how many calls into compiled code it made, and
how many lines of Python ran inside library functions it called). Vectorized
code runs the same lines whatever the size; a loop over N runs its body once
more per extra sample, so its count grows with N. Loops hidden in a
comprehension, a generator, `np.vectorize`, `np.apply_along_axis` or a call
of your naive function grow the same way and are found the same way. The
result is a count, not a time: the same code always gets the same verdict.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass

import numpy as np

# Growth factors of each dimension (1 is the base input).
FACTORS = (1, 2, 4)
DIMENSIONS = ("N", "H'", "W'")
# The interpreter's hooks, taken when this module is imported: the autograder
# imports it before any student code, so replacing sys.settrace later does not
# change what the counter uses.
_settrace, _setprofile = sys.settrace, sys.setprofile
_gettrace, _getprofile = sys.gettrace, sys.getprofile
_thread_settrace, _thread_setprofile = threading.settrace, threading.setprofile
# Kinds of count, per line of the student's file.
LINE = "line"  # the line itself ran
CALL = "call"  # a call into compiled code (a numpy function, a builtin) made from the line
INNER = "inner"  # a line of Python run inside a library function called from the line


class LineCounter:
    """Context manager counting the Python work done under it, per line of some files.

    `own_files`: absolute paths of the files whose lines are counted (the
    student's modules). Lines of other Python code (numpy's own Python, the
    given modules) count as INNER work of the last own line that ran.

    After the block, `counts` maps (file, line, kind) to a count and
    `tampered` says whether the tracer was removed or replaced meanwhile
    (then the counts cannot be trusted).
    """

    def __init__(self, own_files):
        self.own = frozenset(own_files)
        self.counts: dict[tuple[str, int, str], int] = {}
        self.current: tuple[str, int] | None = None
        self.tampered = ""
        self._saved = None

    def _add(self, key) -> None:
        self.counts[key] = self.counts.get(key, 0) + 1

    def _trace(self, frame, event, arg):
        if event != "call":
            return None
        return self._own_line if frame.f_code.co_filename in self.own else self._other_line

    def _own_line(self, frame, event, arg):
        if event == "line":
            self.current = (frame.f_code.co_filename, frame.f_lineno)
            self._add((frame.f_code.co_filename, frame.f_lineno, LINE))
        return self._own_line

    def _other_line(self, frame, event, arg):
        if event == "line" and self.current is not None:
            self._add((self.current[0], self.current[1], INNER))
        return self._other_line

    def _profile(self, frame, event, arg):
        if event != "c_call":
            return
        if frame.f_code.co_filename in self.own:
            self._add((frame.f_code.co_filename, frame.f_lineno, CALL))
        elif self.current is not None:
            self._add((self.current[0], self.current[1], INNER))

    def __enter__(self) -> LineCounter:
        self._saved = (_gettrace(), _getprofile())
        _thread_settrace(self._trace)
        _thread_setprofile(self._profile)
        _settrace(self._trace)
        _setprofile(self._profile)
        return self

    def __exit__(self, *exc) -> None:
        still = _gettrace() == self._trace and _getprofile() == self._profile
        _setprofile(self._saved[1])
        _settrace(self._saved[0])
        _thread_settrace(None)
        _thread_setprofile(None)
        if not still:
            self.tampered = "the line counter was switched off or replaced during the call"


@dataclass(frozen=True)
class Growth:
    """A line whose count grows with a dimension: the sign of a Python loop over it."""

    dimension: str  # "N", "H'" or "W'"
    file: str
    line: int
    kind: str  # LINE, CALL or INNER
    counts: tuple[int, ...]  # at FACTORS
    sizes: tuple[int, ...]  # the dimension's values at FACTORS

    def describe(self, source_line: str = "") -> str:
        counts = ", ".join(map(str, self.counts))
        sizes = ", ".join(map(str, self.sizes))
        text = f"{self.file} line {self.line}"
        if source_line.strip():
            text += f" ({source_line.strip()[:80]})"
        what = {LINE: "runs", CALL: "makes", INNER: "runs"}[self.kind]
        unit = {
            LINE: "times",
            CALL: "calls into compiled code",
            INNER: "lines of Python inside the library functions it calls",
        }[self.kind]
        loop = {
            "N": "a Python loop over N (the samples)",
            "H'": "a Python loop over H' (the output rows)",
            "W'": "a Python loop over W' (the output columns)",
        }[self.dimension]
        return f"{text} {what} {counts} {unit} for {self.dimension} = {sizes}: {loop}"


def grows(counts: tuple[int, ...], kind: str) -> bool:
    """Whether counts at FACTORS show a loop: strictly increasing, and for work inside
    libraries (whose fixed per-call Python may branch on sizes) at least linearly."""
    if not all(a < b for a, b in zip(counts, counts[1:])):
        return False
    if kind == INNER:
        steps = [b - a for a, b in zip(counts, counts[1:])]
        return all(later >= earlier for earlier, later in zip(steps, steps[1:]))
    return True


def rank(found: list[Growth], span: tuple[int, int] | None = None) -> list[Growth]:
    """FOUND in the order a student should read them: lines of the checked function
    itself (SPAN, its first and last line) first, then the line itself before the calls
    and library work it makes, fewest runs first (a loop's header before its body)."""
    order = {LINE: 0, CALL: 1, INNER: 2}

    def key(g: Growth):
        inside = span is not None and span[0] <= g.line <= span[1]
        return (not inside, order[g.kind], g.counts, g.line)

    return sorted(found, key=key)


def find_growth(
    per_factor: list[dict[tuple[str, int, str], int]], dimension: str, sizes: tuple[int, ...]
) -> list[Growth]:
    """Lines whose counts grow over `per_factor` (the counts at each of FACTORS)."""
    keys = sorted({key for counts in per_factor for key in counts})
    found = []
    for file, line, kind in keys:
        counts = tuple(int(c.get((file, line, kind), 0)) for c in per_factor)
        if grows(counts, kind):
            found.append(Growth(dimension, file, line, kind, counts, tuple(sizes)))
    return found


def output_size(size: int, filter_size: int, stride: int, pad: int) -> int:
    """H' (or W') of a conv: 1 + (H + 2 pad - HH) // stride."""
    return 1 + (int(size) + 2 * int(pad) - int(filter_size)) // int(stride)


def conv_inputs(
    x_shape, w_shape, stride: int, pad: int, dimension: str, factor: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """Inputs of the base conv (x (N,C,H,W), w (F,C,HH,WW)) with one dimension grown.

    Returns x, w, b (F,) and conv_param. Growing H' (or W') by `factor` picks
    the H (or W) whose output height is `factor` times the base's.
    """
    n, c, h, w = (int(v) for v in x_shape)
    f, _, hh, ww = (int(v) for v in w_shape)
    out_h, out_w = output_size(h, hh, stride, pad), output_size(w, ww, stride, pad)
    if dimension == "N":
        n *= factor
    elif dimension == "H'":
        h = (out_h * factor - 1) * stride + hh - 2 * pad
    elif dimension == "W'":
        w = (out_w * factor - 1) * stride + ww - 2 * pad
    else:
        raise ValueError(f"unknown dimension {dimension!r}")
    x = rng.standard_normal((n, c, h, w))
    weights = rng.standard_normal((f, c, hh, ww))
    b = rng.standard_normal(f)
    return x, weights, b, {"stride": int(stride), "pad": int(pad)}


def conv_case(x_shape, w_shape, stride: int, pad: int, dimension: str, factor: int, seed: int):
    """`conv_inputs` drawn from SEED, plus an upstream gradient dout of the output's shape.

    Returns x, w, b, conv_param, dout. The autograder draws SEED when the call
    starts, so the inputs cannot be known (or worked on) earlier.
    """
    rng = np.random.default_rng(int(seed))
    x, w, b, conv_param = conv_inputs(x_shape, w_shape, stride, pad, dimension, factor, rng)
    out_shape = (
        x.shape[0],
        w.shape[0],
        output_size(x.shape[2], w.shape[2], stride, pad),
        output_size(x.shape[3], w.shape[3], stride, pad),
    )
    return x, w, b, conv_param, rng.standard_normal(out_shape)


def dimension_sizes(x_shape, w_shape, stride: int, pad: int, dimension: str) -> tuple[int, ...]:
    """The dimension's value at each of FACTORS."""
    n, _, h, w = x_shape
    _, _, hh, ww = w_shape
    base = {"N": n, "H'": output_size(h, hh, stride, pad), "W'": output_size(w, ww, stride, pad)}[dimension]
    return tuple(int(base) * k for k in FACTORS)


def check_module(
    module, x_shape=(2, 2, 3, 4), w_shape=(3, 2, 3, 3), stride: int = 1, pad: int = 1, seed: int = 0
) -> dict[str, list[Growth] | str]:
    """Run a module's conv_forward_fast and conv_backward_fast at growing sizes, counting.

    Returns, per function, the lines that grow (empty: vectorized), or a
    string saying why it could not be checked (it raised, or the counter was
    switched off). A backward that raises does not spoil its forward's
    verdict. Used by `python -m layers.selfcheck`.
    """
    own = {module.__file__}
    names = ("conv_forward_fast", "conv_backward_fast")
    counts = {name: {} for name in names}
    problems: dict[str, str] = {}
    for dimension in DIMENSIONS:
        for factor in FACTORS:
            x, w, b, conv_param, dout = conv_case(x_shape, w_shape, stride, pad, dimension, factor, seed)
            try:
                with LineCounter(own) as counter:
                    _, cache = module.conv_forward_fast(x, w, b, conv_param)
            except Exception as error:  # the student's code raised: the other checks explain it
                problems.setdefault(names[0], _raised(error))
                problems.setdefault(names[1], "needs a working conv_forward_fast")
                continue
            if counter.tampered:
                problems.setdefault(names[0], counter.tampered)
            counts[names[0]].setdefault(dimension, []).append(counter.counts)
            if names[1] in problems:
                continue
            try:
                with LineCounter(own) as counter:
                    module.conv_backward_fast(dout, cache)
            except Exception as error:
                problems[names[1]] = _raised(error)
                continue
            if counter.tampered:
                problems.setdefault(names[1], counter.tampered)
            counts[names[1]].setdefault(dimension, []).append(counter.counts)
    verdict: dict[str, list[Growth] | str] = dict(problems)
    for name in names:
        if name in verdict:
            continue
        found = []
        for dimension in DIMENSIONS:
            sizes = dimension_sizes(x_shape, w_shape, stride, pad, dimension)
            found += find_growth(counts[name][dimension], dimension, sizes)
        verdict[name] = found
    return verdict


def _raised(error: Exception) -> str:
    if isinstance(error, NotImplementedError):
        return "not implemented yet"
    return f"could not be checked: {type(error).__name__}: {error}"
