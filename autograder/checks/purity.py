"""Checks of the purity category: no input changed in place, nothing remembered between calls.

A forward must leave its inputs alone and give the same result twice; a
backward must leave dout alone; a forward's cache must survive a second
forward call with the same param dict; a forward right on the first inputs
of a shape must be right on the next ones (no memo keyed by shape).
"""

from __future__ import annotations

import numpy as np

from autograder.checks.evaluate import Evaluator, Outcome, call_problem, compare, returned_array
from autograder.checks.plan import Check


def check_purity_forward(ev: Evaluator, check: Check) -> Outcome:
    return _purity(ev, check.data["calls"], check.function, ev.plan.group.inputs, check.data["repeat"])


def check_purity_backward(ev: Evaluator, check: Check) -> Outcome:
    return _purity(ev, check.data["calls"], check.function, ("dout", "cache"), None)


def _purity(ev: Evaluator, call_ids: list[str], function: str, names: tuple[str, ...], repeat) -> Outcome:
    worked = 0
    for call_id in call_ids:
        record = ev.student.record(call_id)
        if record is None or record["status"] != "ok":
            continue
        worked += 1
        modified = [
            names[i] if isinstance(i, int) and 0 <= i < len(names) else "?" for i in record.get("modified_inputs", [])
        ]
        if modified:
            return Outcome(
                False,
                f"{function} modified its input {', '.join(modified)} in place; "
                f"copy it first (e.g. x = x.copy()) or avoid in-place operations on it.",
            )
    if worked == 0:
        _, problem = call_problem(ev.student, call_ids[0], function)
        return Outcome(False, f"not credited until {function} runs: {problem}")
    if repeat:
        first, second = (ev.student.record(c) for c in repeat)
        if first and second and first["status"] == second["status"] == "ok":
            a = ev.student.array((first.get("returned") or [{}])[0].get("file"))
            b = ev.student.array((second.get("returned") or [{}])[0].get("file"))
            if a is not None and b is not None and (a.shape != b.shape or not np.array_equal(a, b)):
                return Outcome(
                    False,
                    f"two identical calls of {function} gave different outputs: does it keep "
                    "state between calls, or change its inputs?",
                )
    return Outcome(True, f"ok: inputs unchanged in {worked} calls")


def check_interleaved(ev: Evaluator, check: Check) -> Outcome:
    """The backward of a first forward call, after a second forward with the same param dict,
    against the same backward on the same case run alone (the student's own result: this
    check judges the forward's cache, not the backward)."""
    backward = check.data["backward"]
    alone, problem = call_problem(ev.student, check.data["alone"], backward)
    if problem:
        return Outcome(
            True,
            f"not checked (no points lost here): {backward} does not work on this case anyway; see its own tests",
        )
    after = ev.student.record(check.data["call"]) or {}
    if after.get("status") in ("crashed", "skipped"):
        return Outcome(
            True,
            f"not checked (no points lost here): {backward} did not run after the second "
            "forward call; see its own tests",
        )
    record, problem = call_problem(ev.student, check.data["call"], backward)
    if problem:
        return Outcome(False, f"after a second call of {check.function} with the same param dict, {problem}")
    lines = []
    for k, name in enumerate(ev.plan.group.grads):
        like = ev.reference_array(check.data["alone"], k)
        expected, problem = returned_array(ev.student, alone, k, name, like)
        if problem:
            return Outcome(True, "not checked (no points lost here): the backward's result alone is unusable")
        actual, problem = returned_array(ev.student, record, k, name, expected)
        outcome = (
            Outcome(False, problem)
            if problem
            else compare(
                actual,
                expected,
                name,
                ev.tol["backward_rtol"],
                ev.tol["backward_atol"],
                labels=("after a second forward call", "alone"),
            )
        )
        if not outcome.passed:
            lines.append(outcome.message)
    if lines:
        return Outcome(
            False,
            f"{backward}'s gradients changed when {check.function} was called a second time "
            f"(other inputs, the same param dict) before it:\n"
            + "\n".join(lines)
            + "\nKeep everything the backward needs in the cache you return, as new objects: not "
            "in the param dict and not in module-level variables, which the next call overwrites.",
        )
    return Outcome(True, "ok: the cache is unaffected by a second forward call")


def check_second_call(ev: Evaluator, check: Check) -> Outcome:
    """A second forward call, on new inputs of the first case's shapes, against the reference.
    Judged only when the first call was right, so that it catches what is remembered
    between calls (a memo keyed by shape), not a forward that is wrong anyway."""
    if not ev.compare_call(check.data["first"]).passed:
        return Outcome(
            True,
            "not checked (no points lost here): the first call on these shapes is wrong anyway; see the output tests",
        )
    outcome = ev.compare_call(check.data["call"])
    if outcome.passed:
        return Outcome(True, "ok: right again on new inputs")
    return Outcome(
        False,
        "right on the first inputs of these shapes, wrong on the next ones:\n"
        + outcome.message
        + "\nDoes your function remember results (or intermediate values) "
        "between calls, e.g. in a module-level dict keyed by shape?",
    )
