"""0-point reports (the notebook report as shipped) are information (issue 12, item 6).

Not failed tests on Gradescope, and not in the class summary's failure
ranking, which ranks by points lost. Checked on results made here and on a
real `autograder grade` of the reference with untouched notebooks.
"""

from __future__ import annotations

import json
import shutil
import subprocess

from conftest import autograder_command

from autograder import paths
from autograder.gradescope.run import for_gradescope
from autograder.reports.results import TestResult
from autograder.reports.summary import analyse, terminal_text


def a_test(function: str, check: str, score: float, maximum: float, output: str = "") -> dict:
    """One test of a results.json, as the grader writes it (reports.results)."""
    passed = score >= maximum and not output.startswith("- ")
    return TestResult(function, "test", check, passed, output, "visible", score=score, max_score=maximum).to_json()


NOTEBOOK = "notebooks: ConvolutionalLayers.ipynb run, saved and completed"


def results(score: float, tests: list[dict]) -> dict:
    return {
        "score": score,
        "max_score": 10.0,
        "output": "",
        "tests": tests,
        "extra_data": {"submission": "s", "seed": None},
    }


def submission(cheap_lost: float, dear_lost: float, notebook_done: bool) -> dict:
    tests = [
        a_test("layernorm_forward", "leaves its inputs unchanged", 1 - cheap_lost, 1.0),
        a_test("conv_backward_naive", "gradients match the reference", 9 - dear_lost, 9.0),
        a_test(
            "notebooks",
            "ConvolutionalLayers.ipynb run, saved and completed",
            0.0,
            0.0,
            "ok: run" if notebook_done else "- has NOT BEEN RUN",
        ),
    ]
    return results(10 - cheap_lost - dear_lost, tests)


def test_summary_ranks_by_points_lost_and_lists_zero_point_reports_apart():
    rows = [("a", submission(1, 0, False)), ("b", submission(1, 0, False)), ("c", submission(0, 9, False))]
    summary = analyse(rows)
    names = [row.name for row in summary.by_check]
    assert NOTEBOOK not in names
    first, second = summary.by_check[0], summary.by_check[1]
    # Failed by one student but 9 points lost beats failed by two students, 2 points lost.
    assert (first.name, first.lost, first.failed) == ("conv_backward_naive: gradients match the reference", 9, 1)
    assert (second.lost, second.failed) == (2, 2)
    assert [(row.name, row.failed, row.total) for row in summary.information] == [(NOTEBOOK, 3, 3)]
    assert NOTEBOOK not in terminal_text(summary)


def test_gradescope_shows_zero_point_reports_as_information_not_failed_tests():
    converted, _ = for_gradescope(submission(0, 0, False), [])
    assert [t["name"] for t in converted["tests"]] == [
        "layernorm_forward: leaves its inputs unchanged",
        "conv_backward_naive: gradients match the reference",
    ]
    assert all(t["status"] == "passed" for t in converted["tests"])
    output = converted["output"]
    assert "Information (0 points, not part of your score):" in output
    assert f"- {NOTEBOOK}: not yet\n    - has NOT BEEN RUN" in output
    assert "notebooks " not in output.split("Information")[0]  # not a row of the per-function table


def test_notebook_reports_with_points_stay_tests():
    graded = submission(0, 0, False)
    graded["tests"][2].update(max_score=1.0, score=0.0)
    converted, _ = for_gradescope(graded, [])
    assert NOTEBOOK in [t["name"] for t in converted["tests"]]
    assert NOTEBOOK in [row.name for row in analyse([("a", graded)]).by_check]


def test_real_grading_of_the_reference_has_nothing_failed_to_report(tmp_path):
    folder = tmp_path / "reference"
    (folder / "layers").mkdir(parents=True)
    for module in paths.STUDENT_MODULES:
        shutil.copyfile(paths.SOLUTION_LAYERS_DIR / module, folder / "layers" / module)
    for notebook in paths.ASSIGNMENT_DIR.glob("*.ipynb"):  # as released: not run, stubs untouched
        shutil.copyfile(notebook, folder / notebook.name)
    out = tmp_path / "graded"
    done = subprocess.run(
        [*autograder_command(), "grade", str(folder), "--out", str(out)], capture_output=True, text=True, timeout=1800
    )
    assert done.returncode == 0, done.stdout + done.stderr
    graded = json.loads((out / "reference" / "results.json").read_text(encoding="utf-8"))
    assert graded["score"] == graded["max_score"]
    reports = [t for t in graded["tests"] if t["name"].startswith("notebooks:")]
    assert reports and all(t["status"] == "failed" and t["max_score"] == 0 for t in reports)
    assert all("section" in t["output"] and "-stub" not in t["output"] for t in reports)

    converted, _ = for_gradescope(graded, [])
    assert all(t["status"] == "passed" for t in converted["tests"])
    assert "Information (0 points" in converted["output"]
    summary = (out / "summary.md").read_text(encoding="utf-8")
    ranking = summary.split("## Checks failed")[1].split("## Information")[0]
    assert "notebooks:" not in ranking
    assert "## Information (0 points, not counted as failures)" in summary
    assert "Most failed checks" not in done.stdout + done.stderr  # nothing lost at all
