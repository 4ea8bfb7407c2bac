"""The numerical check: a backward's gradients against central differences of the student's own forward.

Along random directions u: the analytic dx . u from the backward against
(f(x + h u) - f(x - h u)) . dout / 2h, within the noise the differences carry
(the harness's measures; docs/GRADIENT_CHECK.md).
"""

from __future__ import annotations

import numpy as np

from autograder import trusted
from autograder.checks.evaluate import Evaluator, Outcome, call_problem, returned_array
from autograder.checks.plan import Check


def check_numerical(ev: Evaluator, check: Check) -> Outcome:
    harness = trusted.harness()
    group = ev.plan.group
    backward, problem = call_problem(ev.student, check.data["call"], ev.function_of(check.data["call"]))
    if problem:
        return Outcome(False, problem)
    key = check.data["key"]
    dout = ev.plan.arrays[f"{key}_dout"]
    h = ev.tol["numerical_h"]
    grads = {}
    for k, (input_name, grad_name) in enumerate(zip(group.inputs, group.grads)):
        like = ev.plan.arrays[f"{key}_{input_name}"]
        value, problem = returned_array(ev.student, backward, k, grad_name, like)
        if problem is None and value.shape != like.shape:
            problem = f"{grad_name}: shape {value.shape} where {like.shape} is expected."
        if problem:
            return Outcome(False, problem)
        grads[input_name] = value.astype(np.float64)
    lines, passed = [], True
    for pair in check.data["pairs"]:
        outputs = []
        for call_id in (pair["plus"], pair["minus"]):
            record, problem = call_problem(ev.student, call_id, group.forward)
            if problem:
                return Outcome(False, f"{group.forward} failed on a slightly changed input: {problem}")
            value, problem = returned_array(ev.student, record, 0, "out", dout)
            if problem or value.shape != dout.shape:
                return Outcome(False, problem or f"out: shape {value.shape} where {dout.shape} is expected.")
            outputs.append(value.astype(np.float64))
        u = ev.plan.arrays[pair["direction"]]
        numerical = harness.directional_derivative(outputs[0], outputs[1], dout, h)
        analytic = float(np.sum(grads[pair["input"]] * u))
        noise = harness.finite_difference_noise(outputs[0], outputs[1], dout, h)
        grad_name = group.grads[group.inputs.index(pair["input"])]
        result = harness.compare_scalars(
            analytic,
            numerical,
            rtol=ev.tol["numerical_rtol"],
            atol=harness.noise_tolerance(noise),
            name=f"{grad_name} . u (u a random direction)",
            labels=("from your backward", "numerically from your forward"),
        )
        if not result.passed:
            passed = False
            lines.append(str(result))
    if passed:
        return Outcome(True, f"ok: {len(check.data['pairs'])} directional derivatives agree")
    return Outcome(False, "\n".join(dict.fromkeys(lines)))
