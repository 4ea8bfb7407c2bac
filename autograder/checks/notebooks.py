"""The notebook report: is each submitted notebook run, saved and completed?

`inspect_notebook(submitted, released)` reads a student's notebook (never
executes it) and reports whether it is a valid notebook and whether it is run,
saved and completed. That judgement is `layers/handin.py`'s (given code, the
grader's trusted copy): collate.sh runs the same module on the student's
machine, so both report the same findings, in the same words.
`notebook_tests` makes one test per released notebook of it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from autograder import paths, trusted
from autograder.reports.results import TestResult
from autograder.submission import Submission

# What the report checks of each notebook.
CHECK = "run, saved and completed"


def _handin():
    """The grader's trusted copy of layers/handin.py (the definition of "run, saved and completed")."""
    return trusted.load("handin")


def _empty_report(submitted: Path) -> dict[str, Any]:
    return {
        "path": str(submitted),
        "valid": False,
        "problem": None,
        "code_cells": 0,
        "executed_cells": 0,
        "cells_with_outputs": 0,
        "executed": False,
        "executed_in_order": False,
        "errors": [],
        "only_not_implemented_errors": True,
        "findings": [],
        "unchanged_solutions": [],
        "changed_solutions": [],
        "unchanged_answers": [],
        "changed_answers": [],
        "modified_locked_cells": [],
        "missing_cells": [],
    }


def inspect_notebook(submitted: Path, released: Path) -> dict[str, Any]:
    """Report on a submitted notebook, compared with its released version.

    Reads both files and executes nothing. Never raises because of the
    submitted file (a missing, huge, non-JSON or non-notebook file gives
    `valid: False` and a `problem`); the released notebook must be readable.

    Keys of the returned dict:
    - path: the submitted path, as a string.
    - valid: the file is JSON and a valid nbformat 4 notebook.
    - problem: why it is not valid (None when valid). When the file is JSON
      with a list of cells but fails nbformat's schema, the cells are still
      inspected.
    - findings: what keeps it from being run, saved and completed, as
      `handin.notebook_findings` says (dicts with kind, text, grade_id,
      ename); the texts name cells by section and first line.
    - code_cells: number of code cells with some source.
    - executed_cells: how many of those have an execution_count.
    - cells_with_outputs: how many of those have at least one output.
    - executed: every non-empty code cell has an execution_count (and there is
      at least one), i.e. the notebook has been run through.
    - executed_in_order: the execution counts increase from top to bottom.
    - errors: one dict per error output: cell (index), grade_id (or None),
      ename, evalue.
    - only_not_implemented_errors: every error is a NotImplementedError.
    - unchanged_solutions / changed_solutions: grade_ids of the released
      solution code cells whose source is / is not still the released stub.
    - unchanged_answers / changed_answers: the same for the manually graded
      answer cells (markdown, "YOUR ANSWER HERE" when released).
    - modified_locked_cells: grade_ids of read-only cells whose source
      differs from the released one.
    - missing_cells: grade_ids of released nbgrader cells that are not in the
      submission (deleted, or their metadata removed).
    Comparisons ignore trailing whitespace and leading or trailing blank lines.
    """
    handin = _handin()
    submitted = Path(submitted)
    report = _empty_report(submitted)
    record = handin.released_cells(json.loads(Path(released).read_text(encoding="utf-8")))
    everything = sorted(entry["id"] for entry in record)

    raw, problem = handin.read_notebook(str(submitted))
    if raw is None:
        report["problem"] = problem
        report["missing_cells"] = everything
        report["findings"] = [{"kind": "unreadable", "text": problem, "grade_id": None, "ename": None}]
        return report
    try:
        if raw.get("nbformat") != 4:
            raise ValueError(f"nbformat {raw.get('nbformat')!r}, expected 4")
        import nbformat  # here, not at the top: its validator costs ~1 s to import

        nbformat.validate(nbformat.from_dict(raw))
        report["valid"] = True
    except Exception as exc:  # nbformat raises several kinds; all mean "invalid"
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        report["problem"] = f"not a valid nbformat 4 notebook: {message}"

    cells = [cell for cell in raw["cells"] if isinstance(cell, dict)]
    counts = []
    for index, cell in enumerate(cells):
        if not handin.is_code(cell):
            continue
        report["code_cells"] += 1
        if handin.was_run(cell):
            report["executed_cells"] += 1
            counts.append(cell["execution_count"])
        outputs = cell.get("outputs") if isinstance(cell.get("outputs"), list) else []
        if outputs:
            report["cells_with_outputs"] += 1
        for output in outputs:
            if isinstance(output, dict) and output.get("output_type") == "error":
                report["errors"].append(
                    {
                        "cell": index,
                        "grade_id": handin.grade_id(cell),
                        "ename": str(output.get("ename", "")),
                        "evalue": str(output.get("evalue", "")),
                    }
                )

    findings = handin.notebook_findings(raw, record)
    report["findings"] = [finding.as_dict() for finding in findings]
    by_kind: dict[str, list[str]] = {}
    for finding in findings:
        if finding.grade_id is not None:
            by_kind.setdefault(finding.kind, []).append(finding.grade_id)
    present = {handin.grade_id(cell) for cell in cells}
    for entry in record:
        if entry["id"] not in present:
            continue
        if entry["kind"] == "solution":
            key = "unchanged_solutions" if entry["id"] in by_kind.get("unfilled", []) else "changed_solutions"
            report[key].append(entry["id"])
        elif entry["kind"] == "answer":
            key = "unchanged_answers" if entry["id"] in by_kind.get("unanswered", []) else "changed_answers"
            report[key].append(entry["id"])
    report["modified_locked_cells"] = by_kind.get("changed", [])
    report["missing_cells"] = sorted(by_kind.get("deleted", []))
    report["executed"] = report["code_cells"] > 0 and report["executed_cells"] == report["code_cells"]
    report["executed_in_order"] = report["executed"] and all(a < b for a, b in zip(counts, counts[1:]))
    report["only_not_implemented_errors"] = all(error["ename"] == "NotImplementedError" for error in report["errors"])
    return report


def describe_notebook(report: dict) -> tuple[bool, str]:
    """Words for `inspect_notebook`'s report; passed when run, saved and completed (handin's findings).

    The findings name cells as the student sees them in Jupyter: the section
    heading above the cell and its first line.
    """
    if not report.get("valid") and not report.get("code_cells"):
        return False, f"not a usable notebook: {report.get('problem') or 'unreadable'}"
    problems = []
    if report.get("problem"):
        problems.append(f"damaged: {report['problem']}")
    problems += [finding["text"] for finding in report.get("findings") or []]
    if problems:
        return False, "\n".join(f"- {problem}" for problem in problems)
    return True, "ok: run, saved and completed (every code cell run, no errors, every stub and question filled in)"


def notebook_tests(submission: Submission, visibility: str) -> list[TestResult]:
    """One test per released notebook: was it submitted, and is it run, saved and completed?"""
    tests = []
    for notebook in sorted(paths.ASSIGNMENT_DIR.glob("*.ipynb")):
        check = f"{notebook.name} {CHECK}"
        submitted = submission.notebooks.get(notebook.name)
        if submitted is None:
            tests.append(
                TestResult("notebooks", "completed", check, False, f"{notebook.name} was not submitted.", visibility)
            )
            continue
        passed, text = describe_notebook(inspect_notebook(submitted, notebook))
        tests.append(TestResult("notebooks", "completed", check, passed, text, visibility))
    return tests
