"""The results model: one `TestResult` per test, and the results.json made of them.

Every report is derived from this one model, never from a test's name:
results.json (SPEC section 3, Gradescope's schema; each test's `extra_data`
carries its function, rubric category, check and case), feedback.md, the
Gradescope output, the class summary, grades.csv and the nbgrader gradebook.
A test's name, "function: check, case", is made from the fields, for people.

    grade.Grader -> [TestResult] -> score_tests -> build_results -> results.json
    results.json -> read_tests -> [TestResult] -> feedback.md, summary, Gradescope

Standard library only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass


@dataclass
class TestResult:
    """One test: what it checks, whether it passed, what the student reads, its points.

    function: the graded function (or "notebooks", "grading").
    category: its rubric category (output, reference, numerical, purity, state,
        vectorized, structure, completed, grading); the category's points are
        split evenly over its tests.
    check: what it checks, without the case ("gradients match the reference").
    case: the hidden case in words, for the checks of one case; "" otherwise.
    """

    __test__ = False  # not a pytest test class, whatever its name

    function: str
    category: str
    check: str
    passed: bool
    output: str
    visibility: str
    case: str = ""
    score: float = 0.0
    max_score: float = 0.0
    given_name: str = ""  # the name of a test read from a results.json without the model's fields

    @property
    def what(self) -> str:
        """The check and its case: "gradients match the reference, stride 2 pad 0"."""
        return f"{self.check}, {self.case}" if self.case else self.check

    @property
    def name(self) -> str:
        """The test's name (SPEC section 3): the function, a colon, what it checks."""
        return self.given_name or f"{self.function}: {self.what}"

    @property
    def check_name(self) -> str:
        """The name without the case: the tests of every case of one check share it."""
        return self.given_name or f"{self.function}: {self.check}"

    @property
    def information(self) -> bool:
        """A test worth no points (the notebook report as shipped): information, never a failure."""
        return self.max_score <= 0

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "score": round(self.score, 6),
            "max_score": round(self.max_score, 6),
            "status": "passed" if self.passed else "failed",
            "output": self.output,
            "visibility": self.visibility,
            "tags": [self.function],
            "extra_data": {
                "function": self.function,
                "category": self.category,
                "check": self.check,
                "case": self.case,
            },
        }

    @classmethod
    def from_json(cls, test: dict) -> TestResult:
        """A test of a results.json. One without the model's `extra_data` (written by hand or
        by another tool) is a check of its own: its whole name, under its first tag."""
        extra = test.get("extra_data") if isinstance(test.get("extra_data"), dict) else {}
        name = str(test.get("name", ""))
        if "check" in extra:
            function, check, case = str(extra.get("function", "")), str(extra["check"]), str(extra.get("case", ""))
        else:
            tags = test.get("tags") or [""]
            function, check, case = str(extra.get("function") or tags[0]), name, ""
        return cls(
            function,
            str(extra.get("category", "")),
            check,
            test.get("status") == "passed",
            str(test.get("output", "")),
            str(test.get("visibility", "visible")),
            case,
            float(test.get("score", 0) or 0),
            float(test.get("max_score", 0) or 0),
            given_name="" if "check" in extra else name,
        )


def read_tests(results: dict) -> list[TestResult]:
    """The tests of a results.json, as the model."""
    return [TestResult.from_json(test) for test in results.get("tests", [])]


def score_tests(tests: list[TestResult], points: dict[str, dict[str, float]]) -> None:
    """Give each test its share of its rubric category's POINTS (function -> category -> points),
    split evenly over the category's tests: all of it when the test passed, none otherwise."""
    members = defaultdict(list)
    for test in tests:
        members[(test.function, test.category)].append(test)
    for (function, category), group in members.items():
        share = points.get(function, {}).get(category, 0.0) / len(group)
        for test in group:
            test.max_score = share
            test.score = share if test.passed else 0.0


def by_function(tests: list[TestResult]) -> dict[str, list[TestResult]]:
    """The tests of each function, the functions in the order they first appear."""
    grouped: dict[str, list[TestResult]] = {}
    for test in tests:
        grouped.setdefault(test.function, []).append(test)
    return grouped


@dataclass(frozen=True)
class FunctionTotal:
    """One function's row of a score table: its points, its maximum, its tests passed of all."""

    function: str
    score: float
    max_score: float
    passed: int
    tests: int


def function_totals(tests: list[TestResult]) -> list[FunctionTotal]:
    """One row per function (feedback.md's summary, Gradescope's table, function_scores)."""
    return [
        FunctionTotal(
            function,
            sum(t.score for t in group),
            sum(t.max_score for t in group),
            sum(t.passed for t in group),
            len(group),
        )
        for function, group in by_function(tests).items()
    ]


def function_scores(tests: list[TestResult]) -> dict[str, float]:
    """Points per function, in the order the functions first appear."""
    return {row.function: row.score for row in function_totals(tests)}


def build_results(
    name: str,
    tests: list[TestResult],
    messages: list[str],
    elapsed: float,
    max_score: float,
    seed: int,
    sandbox_mode: str,
) -> dict:
    """The results.json content of submission NAME (scored TESTS; MESSAGES: the top-level notes)."""
    return {
        "score": round(sum(t.score for t in tests), 4),
        "max_score": round(max_score, 4),
        "execution_time": round(elapsed, 2),
        "output": "\n".join(messages),
        "stdout_visibility": "hidden",
        "tests": [test.to_json() for test in tests],
        "extra_data": {
            "submission": name,
            "seed": seed,
            "sandbox": sandbox_mode,
            "function_scores": {f: round(s, 4) for f, s in function_scores(tests).items()},
        },
    }


def grading_failed(text: str) -> TestResult:
    """The one test of a submission that could not be graded: TEXT says why, visible."""
    return TestResult("grading", "grading", "submission could be graded", False, text, "visible")


def failure_results(name: str, reason: str, max_score: float, seed: int) -> dict:
    """results.json of a submission the grader failed on (an internal error: score 0, REASON in words)."""
    results = build_results(name, [grading_failed(reason)], [reason], 0.0, max_score, seed, "none")
    results["extra_data"]["internal_error"] = True
    return results
