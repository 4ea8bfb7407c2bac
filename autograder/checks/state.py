"""Batch norm's state: running averages over train calls, and test mode that uses them."""

from __future__ import annotations

import numpy as np

from autograder.checks.evaluate import Evaluator, Outcome, call_problem, compare
from autograder.checks.plan import Check
from autograder.isolation.records import Records


def dict_state(records: Records, call_id: str) -> dict:
    """The param dict (argument 3) of call CALL_ID after the call, as the worker recorded it: key -> item."""
    record = records.record(call_id) or {}
    state = (record.get("dicts") or {}).get("3") or {}
    return state.get("items") if isinstance(state, dict) and isinstance(state.get("items"), dict) else {}


def running(records: Records, call_id: str, key: str) -> np.ndarray | None:
    """bn_param[KEY] (running_mean, running_var) after call CALL_ID, or None when it is not an array."""
    item = dict_state(records, call_id).get(key)
    if not isinstance(item, dict):
        return None
    return records.array(item.get("file"))


def check_state(ev: Evaluator, check: Check) -> Outcome:
    init = check.data["init"]
    lines = []
    for t, call_id in enumerate(check.data["calls"], start=1):
        _, problem = call_problem(ev.student, call_id, check.function)
        if problem:
            return Outcome(False, f"train call {t}: {problem}")
        state = dict_state(ev.student, call_id)
        for key, value in init.items():
            item = state.get(key)
            if not isinstance(item, dict) or item.get("value") != value:
                return Outcome(
                    False,
                    f"after train call {t}, bn_param['{key}'] is "
                    f"{item.get('value') if isinstance(item, dict) else 'missing'}; "
                    f"it must stay {value!r}.",
                )
        for key in ("running_mean", "running_var"):
            expected = running(ev.reference, call_id, key)
            actual = running(ev.student, call_id, key)
            if actual is None:
                return Outcome(False, f"after train call {t}, bn_param['{key}'] is missing or not a float64 array.")
            outcome = compare(
                actual,
                expected,
                f"bn_param['{key}'] after train call {t}",
                ev.tol["forward_rtol"],
                ev.tol["forward_atol"],
            )
            if not outcome.passed:
                return Outcome(
                    False,
                    outcome.message + "\nrunning = momentum * running + (1 - momentum) * "
                    "batch statistic; variance divides by N.",
                )
        lines.append(f"train call {t}: running averages ok")
    return Outcome(True, "; ".join(lines))


def check_test_mode(ev: Evaluator, check: Check) -> Outcome:
    call_id, previous = check.data["call"], check.data["previous"]
    outcome = ev.compare_returned(call_id, ("out",), ev.tol["forward_rtol"], ev.tol["forward_atol"])
    if not outcome.passed:
        return Outcome(
            False,
            "test-mode output: "
            + outcome.message
            + "\nTest mode normalizes with the running averages, then applies gamma and beta.",
        )
    for key in ("running_mean", "running_var"):
        before = running(ev.student, previous, key)
        after = running(ev.student, call_id, key)
        if before is None or after is None or before.shape != after.shape or not np.array_equal(before, after):
            return Outcome(False, f"the test-mode call changed bn_param['{key}']; test mode must leave it alone.")
    return Outcome(True, "test-mode output ok; running averages unchanged")
