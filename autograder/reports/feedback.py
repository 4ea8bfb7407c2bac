"""feedback.md: a submission's results, readable by a person (SPEC section 3).

A summary table per function, then every test of each function; failed tests
the student may see (visibility "visible") in full. Derived from the results
model (reports/results.py), never from test names.
"""

from __future__ import annotations

from autograder.reports.results import TestResult, read_tests


def _number(value: float) -> str:
    return f"{value:g}"


def feedback_markdown(results: dict) -> str:
    """The results.json content RESULTS as Markdown."""
    extra = results.get("extra_data", {})
    lines = [
        f"# Feedback for {extra.get('submission', 'your submission')}",
        "",
        f"**Score: {_number(results['score'])} / {_number(results['max_score'])}**",
        "",
    ]
    if results.get("output"):
        lines += ["## Notes", ""] + [f"- {line}" for line in results["output"].splitlines() if line.strip()] + [""]
    by_function: dict[str, list[TestResult]] = {}
    for test in read_tests(results):
        by_function.setdefault(test.function, []).append(test)
    lines += ["## Summary", "", "| function | score | tests passed |", "|---|---:|---:|"]
    for function, tests in by_function.items():
        score = sum(t.score for t in tests)
        maximum = sum(t.max_score for t in tests)
        passed = sum(t.passed for t in tests)
        lines.append(
            f"| `{function}` | {_number(round(score, 2))} / {_number(round(maximum, 2))} | {passed} / {len(tests)} |"
        )
    lines.append("")
    for function, tests in by_function.items():
        lines += [f"## `{function}`", ""]
        for test in tests:
            # A 0-point test (the notebook report as shipped) is information, not a failure.
            mark = "PASS" if test.passed else "NOTE" if test.information else "FAIL"
            lines.append(
                f"- **{mark}** {test.what} ({_number(round(test.score, 2))} / {_number(round(test.max_score, 2))})"
            )
            if not test.passed and test.visibility == "visible":
                lines += ["", "  ```text"] + [f"  {line}" for line in test.output.splitlines()] + ["  ```", ""]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
