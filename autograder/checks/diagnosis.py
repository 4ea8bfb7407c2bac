"""Name the known mistake behind a failing function, from its results on every hidden case.

`Diagnoser` is built once per batch, in the grader's process: it runs the
reference and every known mistake (`autograder.mistakes`) on the plans' case
calls, i.e. each case's forward call, the backward calls on its cache and the
batch-norm state sequences (never the numerical-gradient perturbations), and
keeps what each call gave (an `Observation`). A backward mistake runs on the
cache of the reference forward, a forward mistake on its own.

`Diagnoser.diagnose` then compares one submission's records with them. A
mistake is named for a failing function when

- on every call of that function where the submission has a usable result
  (the call returned), the result matches the mistake's within the forward
  tolerance of the rubric (same shapes, dtypes, values, running averages and
  changed inputs), and the mistake did not raise there; a call that raised
  is no usable result, except that the mistake's telltale exception (an
  AssertionError of an assert on the stride) on the same call is a match;
- at least one call with values was compared;
- on at least one compared call the submission does not pass the reference
  (within the tolerance its tests use), and the mistake differs from the
  reference there; a mistake equal to the reference on every case is never
  named.

Several matching mistakes are all named ("one of"); none, nothing is said.
Nothing here can change a score: it only adds words to failing tests.
"""

from __future__ import annotations

import copy
import json
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from autograder import trusted
from autograder.checks.evaluate import returned_array
from autograder.checks.plan import Plan
from autograder.contract import Group
from autograder.isolation.records import Records
from autograder.mistakes import MISTAKES, Mistake
from autograder.rubric import Rubric

RUNNING_KEYS = ("running_mean", "running_var")
ABSENT = "absent"  # a running average that is not in the param dict after the call
VISIBILITY_ORDER = ("visible", "after_due_date", "after_published", "hidden")


@dataclass
class Observation:
    """What one call gave.

    error: the exception's type name when it raised, else None.
    arrays: returned arrays by name ("out", or "dx", "dw", "db" / "dgamma", "dbeta"),
        and the running averages in the param dict after the call ("running_mean" (D,) or (C,)),
        ABSENT when missing, None when present but not an array.
    modified: indices of the array arguments the call changed in place.
    """

    error: str | None = None
    arrays: dict = field(default_factory=dict)
    modified: frozenset = frozenset()


def _array_positions(call: dict) -> list[int]:
    return [i for i, spec in enumerate(call["args"]) if "array" in spec]


def _dict_position(call: dict) -> int | None:
    return next((i for i, spec in enumerate(call["args"]) if "dict" in spec), None)


class _Runner:
    """Runs calls of one plan in this process with some functions replaced, like the worker does."""

    def __init__(self, plan: Plan, module, replaced: dict):
        self.plan = plan
        self.module = module
        self.replaced = replaced
        self.caches: dict[str, object] = {}
        self.dicts: dict[str, dict] = {}

    def function(self, name: str):
        return self.replaced.get(name) or getattr(self.module, name)

    def args(self, call: dict) -> list | None:
        args = []
        for spec in call["args"]:
            if "array" in spec:
                args.append(np.array(self.plan.arrays[spec["array"]], dtype=np.float64))
            elif "value" in spec:
                args.append(json.loads(json.dumps(spec["value"])))
            elif "cache" in spec:
                if spec["cache"] not in self.caches:
                    return None
                args.append(copy.deepcopy(self.caches[spec["cache"]]))
            elif "dict" in spec:
                name = spec["dict"]
                if name not in self.dicts:
                    self.dicts[name] = dict(spec.get("init", {}))
                self.dicts[name].update(spec.get("set", {}))
                args.append(self.dicts[name])
            else:
                return None
        return args

    def run(self, call: dict, names: tuple[str, ...]) -> Observation | None:
        """The observation of CALL (returned arrays named NAMES), None when it cannot run here."""
        args = self.args(call)
        if args is None:
            return None
        before = {i: args[i].copy() for i in _array_positions(call)}
        try:
            with np.errstate(all="ignore"):
                result = self.function(call["func"])(*args)
        except Exception as error:
            return Observation(error=type(error).__name__)
        if not isinstance(result, tuple) or len(result) != call["returns"]:
            return None
        values = list(result)
        if call["returns"] == 2:
            if call.get("keep_cache"):
                self.caches[call["id"]] = values[1]
            values = values[:1]
        arrays = {name: np.asarray(value) for name, value in zip(names, values)}
        position = _dict_position(call)
        if position is not None:
            state = args[position]
            for key in RUNNING_KEYS:
                arrays[key] = np.asarray(state[key]) if key in state else ABSENT
        modified = frozenset(
            i
            for i, value in before.items()
            if args[i].shape != value.shape or not np.array_equal(args[i], value, equal_nan=True)
        )
        return Observation(None, arrays, modified)


def student_observation(records: Records, call: dict, names: tuple[str, ...]) -> Observation | None:
    """The submission's observation of CALL from its records; None when it has no usable result."""
    record = records.record(call["id"])
    if record is None:
        return None
    if record.get("status") == "error" and record.get("stage") == "call":
        return Observation(error=str(record.get("type", "")))
    if record.get("status") != "ok":
        return None
    arrays = {}
    for k, name in enumerate(names):
        value, problem = returned_array(records, record, k, name, np.empty(0))
        if problem or value is None:
            return None
        arrays[name] = value
    position = _dict_position(call)
    if position is not None:
        dicts = record.get("dicts")
        state = dicts.get(str(position)) if isinstance(dicts, dict) else None
        items = state.get("items") if isinstance(state, dict) else None
        if not isinstance(items, dict):
            return None
        for key in RUNNING_KEYS:
            item = items.get(key)
            if item is None:
                arrays[key] = ABSENT
            elif isinstance(item, dict) and item.get("kind") == "ndarray":
                arrays[key] = records.array(item.get("file"))
            else:
                arrays[key] = None
    array_args = set(_array_positions(call))
    modified = record.get("modified_inputs") or []
    if not isinstance(modified, list):
        return None
    return Observation(None, arrays, frozenset(i for i in modified if isinstance(i, int) and i in array_args))


def same(a: Observation, b: Observation, rtol: float, atol: float) -> bool:
    """Whether two observations of a call agree: same exception type, or the same arrays
    (shape, dtype, values within rtol/atol, as gradient_check.compare_arrays measures) and the
    same inputs changed. `b` is the trusted side (reference or mistake)."""
    if a.error is not None or b.error is not None:
        return a.error == b.error
    if a.modified != b.modified or set(a.arrays) != set(b.arrays):
        return False
    harness = trusted.harness()
    for name, expected in b.arrays.items():
        actual = a.arrays[name]
        if isinstance(expected, str) or expected is None or isinstance(actual, str) or actual is None:
            if not (isinstance(expected, str) and isinstance(actual, str)):
                return False
            continue
        if not harness.compare_arrays(actual, expected, rtol=rtol, atol=atol, name=name).passed:
            return False
    return True


@dataclass
class _Function:
    """The case calls of one graded function and what the reference gave on them."""

    group: Group
    name: str
    calls: list[dict]
    names: tuple[str, ...]  # names of the returned arrays
    rtol: float  # the tolerance its tests use against the reference
    atol: float


class Diagnoser:
    """Known mistakes' results on a batch's hidden cases, and the matching of a submission's.

    Built once per batch from the plans (one per contract group, by group name).
    `seconds` is how long computing every mistake's results took.
    """

    def __init__(self, plans: dict[str, Plan], rubric: Rubric, mistakes: tuple[Mistake, ...] = MISTAKES):
        started = time.monotonic()
        self.tol = rubric.tolerance
        self.functions: dict[str, _Function] = {}
        self.reference: dict[str, dict[str, Observation | None]] = {}
        self.observed: dict[str, dict[str, Observation | None]] = {}  # mistake id -> call id -> observation
        self.mistakes: dict[str, list[Mistake]] = {}  # function -> its usable mistakes, catalogue order
        self.disabled: dict[str, str] = {}  # mistake id -> why it cannot be used this batch
        for plan in plans.values():
            self._add_group(plan)
        for mistake in mistakes:
            self._add_mistake(plans.get(mistake.group.name), mistake)
        self.seconds = time.monotonic() - started

    # -- once per batch ------------------------------------------------------------------------
    def _add_group(self, plan: Plan) -> None:
        group = plan.group
        checked = {check.data.get("call") for check in plan.checks if check.method in ("output", "grads")}
        for name in group.functions:
            forward = name == group.forward
            calls = [
                call
                for call in plan.calls
                if call["func"] == name and (call["id"] in checked or (forward and _dict_position(call) is not None))
            ]
            rtol, atol = (
                (self.tol["forward_rtol"], self.tol["forward_atol"])
                if forward
                else (self.tol["backward_rtol"], self.tol["backward_atol"])
            )
            self.functions[name] = _Function(group, name, calls, ("out",) if forward else group.grads, rtol, atol)
        wanted = {call["id"] for name in group.functions for call in self.functions[name].calls}
        runner = _Runner(plan, trusted.load(group.module), {})
        self.reference[group.name] = {
            call["id"]: runner.run(call, self._names(group, call)) for call in plan.calls if call["id"] in wanted
        }

    @staticmethod
    def _names(group: Group, call: dict) -> tuple[str, ...]:
        return ("out",) if call["func"] == group.forward else group.grads

    def _add_mistake(self, plan: Plan | None, mistake: Mistake) -> None:
        if plan is None:
            self.disabled[mistake.id] = "no plan for its group"
            return
        group = plan.group
        wanted = {call["id"] for f in mistake.functions for call in self.functions[f].calls}
        caches = {
            spec["cache"] for call in plan.calls if call["id"] in wanted for spec in call["args"] if "cache" in spec
        }
        runner = _Runner(plan, trusted.load(group.module), mistake.implementations)
        observed = self.observed[mistake.id] = {}
        for call in plan.calls:
            if call["id"] not in wanted and call["id"] not in caches:
                continue
            observation = runner.run(call, self._names(group, call))
            if call["id"] not in wanted:
                continue
            if observation is not None and observation.error and observation.error not in mistake.raises:
                self.disabled[mistake.id] = f"raised {observation.error} on call {call['id']}"
                return
            observed[call["id"]] = observation
        rtol, atol = self.tol["forward_rtol"], self.tol["forward_atol"]
        reference = self.reference[group.name]
        differs = [
            c
            for c, o in observed.items()
            if o is not None and reference.get(c) is not None and not same(o, reference[c], rtol, atol)
        ]
        if not differs:
            self.disabled[mistake.id] = "same results as the reference on every case"
            return
        for function in mistake.functions:
            self.mistakes.setdefault(function, []).append(mistake)

    # -- once per submission -------------------------------------------------------------------
    def matches(self, function: str, mistake: Mistake, student: dict[str, Observation | None]) -> bool:
        """Whether the submission's observations (by call id) of FUNCTION match MISTAKE (rules above)."""
        info = self.functions[function]
        reference = self.reference[info.group.name]
        observed = self.observed[mistake.id]
        rtol, atol = self.tol["forward_rtol"], self.tol["forward_atol"]
        compared = evidence = 0
        for call in info.calls:
            ours, theirs, right = student.get(call["id"]), observed.get(call["id"]), reference.get(call["id"])
            if ours is None or theirs is None or right is None:
                continue
            if ours.error is not None:
                if theirs.error is None or ours.error != theirs.error:
                    continue  # no usable result here: it says nothing either way
                if ours.error in mistake.telltale and right.error is None:
                    evidence += 1
                continue
            if theirs.error is not None or not same(ours, theirs, rtol, atol):
                return False
            compared += 1
            if not same(ours, right, info.rtol, info.atol) and not same(theirs, right, rtol, atol):
                evidence += 1
        return compared > 0 and evidence > 0

    def diagnose(self, group_name: str, records: Records, failing: set[str]) -> dict[str, list[Mistake]]:
        """Known mistakes matching the submission's RECORDS of one group, for each function in FAILING
        that has any (catalogue order)."""
        found = {}
        observations: dict[str, Observation | None] = {}
        for function, info in self.functions.items():
            if info.group.name != group_name or function not in failing or not self.mistakes.get(function):
                continue
            student = {}
            for call in info.calls:
                if call["id"] not in observations:
                    observations[call["id"]] = student_observation(records, call, info.names)
                student[call["id"]] = observations[call["id"]]
            named = [m for m in self.mistakes[function] if self.matches(function, m, student)]
            if named:
                found[function] = named
        return found


def build_diagnoser(plans: dict[str, Plan], rubric: Rubric) -> Diagnoser | None:
    """The batch's Diagnoser, or None (with a warning on stderr) if it cannot be built: the
    diagnosis is feedback only, and never worth a batch that cannot be graded."""
    try:
        return Diagnoser(plans, rubric)
    except Exception as error:
        print(f"warning: no known-mistake diagnosis in this batch ({type(error).__name__}: {error})", file=sys.stderr)
        return None


# -- feedback -------------------------------------------------------------------------------------


def describe(mistakes: list[Mistake]) -> str:
    """The words added to a failing test of a function diagnosed with MISTAKES."""
    if len(mistakes) == 1:
        return "Diagnosis (your results on the hidden cases match this known mistake): " + mistakes[0].hint
    lines = [
        "Diagnosis (your results on the hidden cases match each of these known mistakes; your code has one of them):"
    ]
    lines += [f"  - {mistake.hint}" for mistake in mistakes]
    return "\n".join(lines)


def annotate(diagnoser: Diagnoser | None, tests: list, records: dict[str, Records]) -> dict[str, list[str]]:
    """Add the diagnosis to the failing tests of every diagnosed function; return the ids by function.

    TESTS are reports.results.TestResult, changed in place: the hint goes at the end of the output of each
    failing test of a hidden case of the function (where the values it explains are shown), or, when
    no such test fails (an input changed in place: only the purity test fails), of each failing test
    of the function. It is shown exactly where, and when, that test's feedback is (Gradescope
    visibility included). RECORDS are the submission's records by group name. Never raises: a
    diagnosis that cannot be made is left out.
    """
    if diagnoser is None:
        return {}
    failing = {t.function for t in tests if not t.passed}
    diagnosed: dict[str, list[Mistake]] = {}
    for group_name, group_records in records.items():
        try:
            diagnosed.update(diagnoser.diagnose(group_name, group_records, failing))
        except Exception:  # damaged or forged records: no diagnosis rather than no grade
            continue
    for function, mistakes in diagnosed.items():
        failed = [t for t in tests if t.function == function and not t.passed]
        for test in [t for t in failed if t.case] or failed:
            test.output = test.output.rstrip() + "\n\n" + describe(mistakes)
    return {function: [m.id for m in mistakes] for function, mistakes in diagnosed.items()}
