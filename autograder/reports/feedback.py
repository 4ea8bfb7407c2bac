"""feedback.md: a submission's results, readable by a person (SPEC section 3).

A summary table per function, then every test of each function; failed tests
the student may see (visibility "visible") in full. Derived from the results
model (reports/results.py), never from test names.
"""

from __future__ import annotations

from autograder.reports.results import by_function, function_totals, read_tests


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
    tests = read_tests(results)
    lines += ["## Summary", "", "| function | score | tests passed |", "|---|---:|---:|"]
    for row in function_totals(tests):
        lines.append(
            f"| `{row.function}` | {_number(round(row.score, 2))} / {_number(round(row.max_score, 2))} | "
            f"{row.passed} / {row.tests} |"
        )
    lines.append("")
    for function, group in by_function(tests).items():
        lines += [f"## `{function}`", ""]
        for test in group:
            # A 0-point test (the notebook report as shipped) is information, not a failure.
            mark = "PASS" if test.passed else "NOTE" if test.information else "FAIL"
            lines.append(
                f"- **{mark}** {test.what} ({_number(round(test.score, 2))} / {_number(round(test.max_score, 2))})"
            )
            if not test.passed and test.visibility == "visible":
                lines += ["", "  ```text"] + [f"  {line}" for line in test.output.splitlines()] + ["  ```", ""]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
