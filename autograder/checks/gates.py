"""Gates: rules between tests, applied after every check has been judged.

A check judges one thing on its own; a gate adjusts a test by what other
tests of the same submission say, so that a claim earns nothing until a
result backs it (purity, vectorization), a right backward never pays for a
wrong forward (numerical), and a backward failing because of its forward is
told so. `apply_gates` runs them in their fixed order.
"""

from __future__ import annotations

from autograder.contract import FORWARD_OF
from autograder.reports.results import TestResult


def apply_gates(tests: list[TestResult]) -> None:
    """Every gate, in order (the order matters: the vectorization gate reads the output tests as
    they are, the numerical gate must run before the blame notes are added)."""
    gate_purity(tests)
    gate_vectorized(tests)
    gate_numerical(tests)
    blame_forward(tests)


def gate_purity(tests: list[TestResult]) -> None:
    """No purity credit for a function before one of its results matches the reference.

    Whether a call changed its inputs is recorded in the student's process,
    so it is a claim, and so is a call's "ok": a module that overwrites the
    worker's records could claim both without computing anything. A result
    matching the reference is checked here, so it is no claim.
    """
    for test in tests:
        if test.category != "purity" or not test.passed:
            continue
        if not any(t.passed for t in tests if t.function == test.function and t.category in ("output", "reference")):
            test.passed = False
            test.output = f"not credited until a result of {test.function} matches the reference ({test.output})."


def gate_vectorized(tests: list[TestResult]) -> None:
    """No vectorization credit before every output and gradient test of the function passes.

    Decided on the hidden cases (fixed inputs), so that the verdict never
    depends on the inputs the vectorization check draws for each run.
    """
    for test in tests:
        if test.category != "vectorized":
            continue
        # A backward's case counts only where its forward is right (else it is the forward's fault).
        failing = [
            t
            for t in tests
            if t.function == test.function
            and t.category in ("output", "reference")
            and not t.passed
            and not forward_fails(tests, t.function, t.case)
        ]
        if failing:
            test.passed = False
            if not test.output.startswith("no vectorization credit"):
                test.output = (
                    f"no vectorization credit until every output and gradient test of "
                    f"{test.function} passes ({len(failing)} fail).\n{test.output}"
                )


def gate_numerical(tests: list[TestResult]) -> None:
    """Numerical-gradient credit, case by case, without double jeopardy.

    A backward whose gradients match the reference on a case gets that case's
    numerical credit as well: the numerical check exists to credit a backward
    consistent with the student's own forward when the reference comparison
    fails, so a right backward never pays for a wrong forward.

    The other way round, agreeing with numerical gradients of its own forward
    proves only consistency (a forward returning zeros with a backward
    returning zeros agrees perfectly): its points need the forward's output or
    the backward's gradients on the same case to match the reference.
    """
    for test in tests:
        if test.category != "numerical":
            continue
        matches = any(
            t.passed and t.function == test.function and t.category == "reference" and t.case == test.case
            for t in tests
        )
        if matches:
            if not test.passed:
                test.passed = True
                test.output = (
                    "ok: your gradients match the reference on this case, so the numerical check of "
                    f"your {FORWARD_OF[test.function]} is not needed here"
                )
            continue
        if not test.passed:
            continue
        if not any(
            t.passed and t.function == FORWARD_OF[test.function] and t.category == "output" and t.case == test.case
            for t in tests
        ):
            test.passed = False
            test.output = (
                f"not credited: neither {FORWARD_OF[test.function]} nor {test.function} matches the "
                f"reference on this case, and agreeing with the numerical gradients of a wrong forward "
                f"proves little ({test.output})."
            )


def forward_fails(tests: list[TestResult], function: str, case: str) -> bool:
    """Whether FUNCTION is a backward whose forward fails its output test on CASE."""
    return function in FORWARD_OF and any(
        not t.passed and t.function == FORWARD_OF[function] and t.category == "output" and t.case == case for t in tests
    )


def blame_forward(tests: list[TestResult]) -> None:
    """A backward that fails on a case where its own forward fails too is told to fix the forward first."""
    for test in tests:
        if (
            test.passed
            or test.function not in FORWARD_OF
            or test.category not in ("reference", "numerical")
            or not test.case
        ):
            continue
        if forward_fails(tests, test.function, test.case):
            forward = FORWARD_OF[test.function]
            test.output += (
                f"\nNote: {forward} fails its own test on this case, and this backward works from "
                f"its cache: fix {forward} first."
            )
