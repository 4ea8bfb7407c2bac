"""Judge a group's checks on a submission's records, against the reference's records.

Every comparison happens here, in the grader's process. A check that raises on
the student's records is run again on the reference's own: raising there too,
it is the grader's error (InternalError, never the student's failed test);
otherwise the student's records are damaged or forged, and the check fails.
"""

from __future__ import annotations

from autograder import paths
from autograder.checks.evaluate import Evaluator, InternalError, Outcome
from autograder.checks.methods import run
from autograder.checks.plan import Check, Plan
from autograder.isolation.records import Records
from autograder.reports.results import TestResult


def group_tests(
    plan: Plan,
    records: Records | None,
    reference: Records,
    tolerance: dict,
    sources: dict[str, str],
    visibility: dict[bool, str],
) -> list[TestResult]:
    """One test per check of PLAN. RECORDS: the submission's (None: its module is missing);
    SOURCES: the submission's files by path; VISIBILITY: for checks of one case (True) or not."""
    module_file = f"{paths.LAYERS_PACKAGE}/{plan.group.module}.py"
    if records is None:
        outcomes = [Outcome(False, f"{module_file} is missing from the submission.") for _ in plan.checks]
    else:
        evaluator = Evaluator(plan, records, reference, tolerance, sources)
        own = Evaluator(plan, reference, reference, tolerance, sources)
        outcomes = [judge(evaluator, own, check) for check in plan.checks]
    return [test_of(check, outcome, visibility[bool(check.case)]) for check, outcome in zip(plan.checks, outcomes)]


def test_of(check: Check, outcome: Outcome, visibility: str) -> TestResult:
    """The test of CHECK with OUTCOME; a failure names its case first."""
    output = outcome.message if outcome.passed else (f"case: {check.case}\n" if check.case else "") + outcome.message
    return TestResult(check.function, check.category, check.check, outcome.passed, output, visibility, check.case)


def judge(evaluator: Evaluator, reference: Evaluator, check: Check) -> Outcome:
    """EVALUATOR's outcome of CHECK. When judging raises, the same check is run on the
    reference's own records: if it raises there too, the grader's code is at fault (an
    internal error, never the student's); otherwise the student's records are damaged
    or forged, and the check fails."""
    try:
        return run(evaluator, check)
    except InternalError:
        raise
    except Exception as error:
        try:
            run(reference, check)
        except Exception as again:
            raise InternalError(f"checking {check.name!r} fails: {type(again).__name__}: {again}") from again
        return Outcome(False, f"the results of this check could not be read ({type(error).__name__}: {error}).")
