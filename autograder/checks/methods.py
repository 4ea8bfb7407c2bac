"""Every check method (Check.method) and the function that judges it: the one table of them.

Each takes the Evaluator (the student's and the reference's records of one
plan) and the Check, and returns an Outcome: passed, and what the student reads.
"""

from __future__ import annotations

from collections.abc import Callable

from autograder.checks import numerical, purity, state, vectorized
from autograder.checks.evaluate import Evaluator, Outcome
from autograder.checks.plan import Check


def check_output(ev: Evaluator, check: Check) -> Outcome:
    """A forward's output on a hidden case against the reference's."""
    return ev.compare_call(check.data["call"])


def check_grads(ev: Evaluator, check: Check) -> Outcome:
    """A backward's gradients on a hidden case against the reference's."""
    return ev.compare_call(check.data["call"])


METHODS: dict[str, Callable[[Evaluator, Check], Outcome]] = {
    "output": check_output,
    "grads": check_grads,
    "numerical": numerical.check_numerical,
    "purity_forward": purity.check_purity_forward,
    "purity_backward": purity.check_purity_backward,
    "interleaved": purity.check_interleaved,
    "second_call": purity.check_second_call,
    "state": state.check_state,
    "test_mode": state.check_test_mode,
    "vectorized": vectorized.check_vectorized,
}


def run(ev: Evaluator, check: Check) -> Outcome:
    """The outcome of CHECK on EV's records."""
    return METHODS[check.method](ev, check)
