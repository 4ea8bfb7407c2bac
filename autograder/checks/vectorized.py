"""The vectorization check: no line of the student's file runs more often as N, H' or W' grow.

The traced calls' line counts come from layers/vectorization.py's LineCounter
in the child; their results are checked against the reference on the same
inputs, which the grader draws again from the seed each call recorded.
"""

from __future__ import annotations

import ast

from autograder import trusted
from autograder.checks.evaluate import Evaluator, Outcome, call_problem
from autograder.checks.plan import Check


def function_span(source: str, name: str) -> tuple[int, int] | None:
    """First and last line of the top-level function NAME in SOURCE, or None."""

    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return node.lineno, node.end_lineno
    return None


def check_vectorized(ev: Evaluator, check: Check) -> Outcome:
    """No line of the student's file runs more often as N, H' or W' grow (see layers/vectorization.py)."""
    vectorization = trusted.load("vectorization")
    function = check.function
    wrong, growth, tampered, judged = [], [], [], {}
    for dimension, call_ids in check.data["calls"].items():
        per_factor = []
        for call_id in call_ids:
            if call_id not in judged:  # the base call serves every dimension: judge it once
                judged[call_id] = compare_traced(ev, call_id)
            outcome = judged[call_id]
            if not outcome.passed:
                wrong.append(outcome.message)
                break
            trace = ev.student.record(call_id).get("trace")
            if not isinstance(trace, dict) or not isinstance(trace.get("counts"), list):
                tampered.append("the line counts of this call are missing")
                break
            if trace.get("tampered"):
                tampered += [str(t)[:200] for t in trace["tampered"]][:3]
                break
            counts = {}
            for entry in trace["counts"]:
                if (
                    isinstance(entry, list)
                    and len(entry) == 4
                    and isinstance(entry[0], str)
                    and all(isinstance(v, int) and not isinstance(v, bool) for v in (entry[1], entry[3]))
                    and entry[2] in (vectorization.LINE, vectorization.CALL, vectorization.INNER)
                ):
                    counts[(entry[0], entry[1], entry[2])] = entry[3]
            per_factor.append(counts)
        if wrong or tampered:
            break
        growth += vectorization.find_growth(per_factor, dimension, tuple(check.data["sizes"][dimension]))
    if wrong:
        # Worded without the values: the inputs are drawn anew for every run, and the same
        # code must always get the same results.json.
        return Outcome(
            False,
            f"no vectorization credit: {function} does not give the right results on the "
            "inputs of this check (drawn when each call starts); see its output and gradient "
            "tests",
        )
    if tampered:
        return Outcome(
            False,
            "the vectorization check could not count your code's work: "
            f"{'; '.join(dict.fromkeys(tampered))}. Code that changes the interpreter's "
            "trace or profile hooks gets no vectorization credit.",
        )
    if growth:
        span = function_span(ev.sources.get("layers/conv.py", ""), function)
        shown = []
        for dimension in vectorization.DIMENSIONS:
            found = vectorization.rank([g for g in growth if g.dimension == dimension], span)
            for item in found[:2]:
                lines = ev.sources.get(item.file, "").splitlines()
                text = lines[item.line - 1] if 0 < item.line <= len(lines) else ""
                shown.append(item.describe(text))
        dimensions = [d for d in vectorization.DIMENSIONS if any(g.dimension == d for g in growth)]
        return Outcome(
            False,
            f"{function} has a Python loop over {', '.join(dimensions)}:\n"
            + "\n".join("  " + line for line in shown)
            + "\nVectorized means no Python loop whose number of iterations grows with N, H' or W' "
            "(loops over F, C, HH and WW are fine). `python -m layers.selfcheck` runs this check.",
        )
    sizes = "; ".join(f"{d} = {', '.join(map(str, v))}" for d, v in check.data["sizes"].items())
    return Outcome(True, f"ok: vectorized (the same lines run for {sizes})")


def compare_traced(ev: Evaluator, call_id: str) -> Outcome:
    """A traced call's results against the reference on the same inputs, which the grader
    draws again from the seed the call recorded (see plan.add_vectorized)."""
    function = ev.function_of(call_id)
    record, problem = call_problem(ev.student, call_id, function)
    if problem:
        return Outcome(False, problem)
    seed = record.get("seed")
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**64:
        return Outcome(False, "the inputs of this call cannot be known (its seed is missing)")
    call = next(c for c in ev.plan.calls if c["id"] == call_id)
    forward_id = call_id if function == ev.plan.group.forward else call["args"][0]["generated"]
    spec = next(c for c in ev.plan.calls if c["id"] == forward_id)["args"][0]["generate"]
    vectorization, reference = trusted.load("vectorization"), trusted.load("conv")
    x, w, b, conv_param, dout = vectorization.conv_case(
        spec["x"], spec["w"], spec["stride"], spec["pad"], spec["dimension"], spec["factor"], seed
    )
    out, cache = getattr(reference, ev.plan.group.forward)(x, w, b, conv_param)
    if function == ev.plan.group.forward:
        expected, names, rtol, atol = [out], ("out",), ev.tol["forward_rtol"], ev.tol["forward_atol"]
    else:
        expected = list(getattr(reference, function)(dout, cache))
        names, rtol, atol = ev.plan.group.grads, ev.tol["backward_rtol"], ev.tol["backward_atol"]
    outcome = ev.compare_record(record, expected, names, rtol, atol)
    return Outcome(outcome.passed, f"x {'x'.join(map(str, x.shape))}: {outcome.message}")
