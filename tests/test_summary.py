"""Batch grading's instructor view: progress bar, end-of-batch summary, grades.csv (issue 7)."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import sys

from autograder import paths
from autograder.checks.cases import cases_for
from autograder.contract import GRADED_FUNCTIONS, GROUPS
from autograder.reports.results import TestResult, read_tests
from autograder.reports.summary import (
    PLOT_NAME,
    SUMMARY_NAME,
    ProgressBar,
    analyse,
    histogram_lines,
    terminal_text,
    write_summary,
)
from autograder.rubric import load_rubric

SEED = load_rubric().seed
CONV = next(g for g in GROUPS if g.name == "conv_naive")
LABELS = [c.label for c in cases_for(CONV, SEED)[0]]
CHECK = "conv_backward_naive: gradients match the reference"


def a_test(check: str, passed: bool, case: str = "", category: str = "reference") -> dict:
    """One test of a results.json, as the grader writes it (reports.results)."""
    return TestResult("conv_backward_naive", category, check, passed, "", "visible", case, float(passed), 1.0).to_json()


def results(score: float, failed_cases: set[int] = frozenset(), error: bool = False) -> dict:
    """A results.json with one test per conv case (failing the given ones) and one caseless test."""
    tests = [a_test("gradients match the reference", i not in failed_cases, label) for i, label in enumerate(LABELS)]
    tests.append(a_test("leaves dout unchanged", True, category="purity"))
    extra = {"seed": SEED, "function_scores": {"conv_backward_naive": score}}
    if error:
        extra["internal_error"] = True
    return {"score": score, "max_score": 100.0, "tests": tests, "extra_data": extra}


def test_the_check_and_the_case_of_a_test_come_from_its_fields_not_its_name():
    test = read_tests({"tests": [a_test("gradients match the reference", False, LABELS[1])]})[0]
    assert (test.name, test.check_name, test.case) == (f"{CHECK}, {LABELS[1]}", CHECK, LABELS[1])
    caseless = TestResult(
        "conv_forward_fast", "vectorized", "vectorized (no Python loop over N, H' or W')", True, "", "visible"
    )
    assert caseless.name == caseless.check_name == "conv_forward_fast: vectorized (no Python loop over N, H' or W')"
    # A name is never split: a check whose words end like a case label stays whole.
    tricky = read_tests({"tests": [a_test(f"looks like a case, {LABELS[0]}", True)]})[0]
    assert (tricky.check, tricky.case) == (f"looks like a case, {LABELS[0]}", "")


def test_failures_per_check_and_per_case_worst_first():
    rows = [
        ("a", results(100)),
        ("b", results(60, {0})),
        ("c", results(40, {0, 1})),
        ("d", results(0, {0, 1, 2})),
        ("broken", results(0, error=True)),
    ]
    summary = analyse(rows)
    assert summary.count == 4 and summary.internal_errors == ["broken"]
    assert sorted(summary.scores) == [0, 40, 60, 100]
    top = summary.by_check[0]
    assert (top.name, top.failed, top.total) == (CHECK, 3, 4)
    assert summary.by_check[-1].failed == 0  # every check is listed, the passed ones last
    cases = [(row.name, row.failed) for row in summary.by_case]
    assert cases[:3] == [(f"{CHECK}, {LABELS[0]}", 3), (f"{CHECK}, {LABELS[1]}", 2), (f"{CHECK}, {LABELS[2]}", 1)]
    text = terminal_text(summary)
    assert f"{CHECK}" in text and "3/4" in text and "broken" in text


def test_histogram_bins_cover_zero_and_full_marks():
    lines = histogram_lines([0, 0, 55, 100, 100, 100], 100)
    assert len(lines) == 10
    counts = [int(re.search(r"[)\]]\s+(\d+)", line).group(1)) for line in lines]
    assert counts == [2, 0, 0, 0, 0, 1, 0, 0, 0, 3]
    assert lines[-1].endswith("#" * 40)
    assert histogram_lines([], 100) == ["(no scores)"]


def test_summary_files_are_written(tmp_path):
    rows = [("a", results(100)), ("b", results(30, {0, 4}))]
    write_summary(rows, tmp_path)
    text = (tmp_path / SUMMARY_NAME).read_text()
    assert "## Checks failed, worst first" in text and f"| {CHECK} | 1/2 |" in text
    assert f"![score distribution]({PLOT_NAME})" in text
    assert (tmp_path / PLOT_NAME).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_progress_bar_is_quiet_off_a_terminal_and_shows_students_on_one():
    quiet = io.StringIO()
    with ProgressBar(2, stream=quiet) as bar:
        bar.started("alice")
        bar.done("alice", {"score": 90, "max_score": 100})
    assert not bar.enabled and quiet.getvalue() == ""
    loud = io.StringIO()
    with ProgressBar(2, stream=loud, force_terminal=True) as bar:
        bar.started("alice")
        bar.started("bob")
        bar.progress.refresh()
        shown = loud.getvalue()
        bar.done("alice", {"score": 90, "max_score": 100})
        bar.progress.refresh()
    assert "alice" in shown and "bob" in shown and "0/2" in shown
    assert "1/2" in loud.getvalue() and "alice 90/100" in loud.getvalue()


def test_grade_command_writes_summary_and_csv_in_input_order(tmp_path):
    subs = []
    for name, source in (("zed", paths.SOLUTION_LAYERS_DIR), ("amy", paths.ASSIGNMENT_DIR / "layers")):
        folder = tmp_path / name / "layers"
        folder.mkdir(parents=True)
        for module in paths.STUDENT_MODULES:
            shutil.copyfile(source / module, folder / module)
        subs.append(str(tmp_path / name))
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", *subs, "--out", str(out), "--jobs", "2"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Score distribution" in result.stdout and "Most failed checks" in result.stdout
    assert "\r" not in result.stderr and "left" not in result.stderr  # no progress bar in a pipe
    assert (out / SUMMARY_NAME).is_file() and (out / PLOT_NAME).is_file()
    with open(out / "grades.csv") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][: 3 + len(GRADED_FUNCTIONS)] == ["submission", "score", "max_score", *GRADED_FUNCTIONS]
    assert [r[0] for r in rows[1:]] == ["zed", "amy"]  # the order given on the command line
    assert rows[1][1] == "100" and rows[2][1] == "0"
