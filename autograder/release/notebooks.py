"""The nbgrader notebooks: release them, and look inside submitted ones.

`release_notebooks(source_dir, out_dir)` runs nbgrader's own
`generate_assignment` on the source notebooks of `source_dir` (only the
`*.ipynb` files at its top level) in a throw-away course folder, and writes the
released notebooks into `out_dir`. nbgrader replaces solution regions by
`raise NotImplementedError()` / "YOUR ANSWER HERE", clears outputs, locks the
read-only cells and records checksums. The result is byte-for-byte the same on
every run and every machine: nbgrader's output depends only on the notebooks,
and we re-serialize it in a canonical form.

`inspect_notebook(submitted, released)` reads a student's notebook (never
executes it) and reports whether it is a valid notebook and whether it is run,
saved and completed. That judgement is `layers/handin.py`'s (given code, the
grader's trusted copy): collate.sh runs the same module on the student's
machine, so both report the same findings, in the same words. Every released
notebook records its nbgrader cells in its metadata (handin.RECORD_KEY) for
collate.sh, which has no released copy to compare with.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import nbformat

from autograder import trusted

# Name of the assignment inside the throw-away nbgrader course; it appears in
# no released file.
_ASSIGNMENT = "assignment"
# Notebook metadata kept in released notebooks (plus the record of the released
# cells, handin.RECORD_KEY, written by _canonical); anything else (a local
# kernel's version, an editor's widget state) would make the release depend on
# whoever last saved the source notebook.
_KEPT_NOTEBOOK_METADATA = ("kernelspec", "language_info")
_KEPT_LANGUAGE_INFO = ("name",)
# Cell metadata kept in released notebooks.
_KEPT_CELL_METADATA = ("nbgrader", "deletable", "editable")


class NotebookReleaseError(RuntimeError):
    """nbgrader could not generate the released notebooks."""


def _nbgrader_env(config_dir: Path) -> dict[str, str]:
    """Environment for nbgrader: the venv's bin/ first, no user Jupyter config.

    nbgrader runs helper programs by name (alembic, when it creates a
    gradebook), so the interpreter's bin/ folder goes first on PATH.
    """
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    # nbgrader reads nbgrader_config.py from the Jupyter config path; point it
    # at an empty folder so a developer's personal settings cannot change the
    # release.
    env["JUPYTER_CONFIG_DIR"] = str(config_dir)
    env["JUPYTER_CONFIG_PATH"] = str(config_dir)
    env["JUPYTER_DATA_DIR"] = str(config_dir / "data")
    env["JUPYTER_RUNTIME_DIR"] = str(config_dir / "runtime")
    env.pop("JUPYTER_PATH", None)
    env["PYTHONHASHSEED"] = "0"
    return env


def _canonical(nb: nbformat.NotebookNode) -> str:
    """Serialize a released notebook with only stable metadata."""
    nb.metadata = nbformat.NotebookNode(
        {key: nb.metadata[key] for key in _KEPT_NOTEBOOK_METADATA if key in nb.metadata}
    )
    if "language_info" in nb.metadata:
        info = nb.metadata["language_info"]
        nb.metadata["language_info"] = nbformat.NotebookNode(
            {key: info[key] for key in _KEPT_LANGUAGE_INFO if key in info}
        )
    for cell in nb.cells:
        cell.metadata = nbformat.NotebookNode(
            {key: cell.metadata[key] for key in _KEPT_CELL_METADATA if key in cell.metadata}
        )
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    handin = _handin()
    nb.metadata[handin.RECORD_KEY] = nbformat.NotebookNode({"cells": handin.released_cells(nb)})
    nbformat.validate(nb)
    text = nbformat.writes(nb, version=4)
    return text if text.endswith("\n") else text + "\n"


def release_notebooks(source_dir: Path, out_dir: Path) -> list[Path]:
    """Release the nbgrader source notebooks of `source_dir` into `out_dir`.

    Only the `*.ipynb` files directly in `source_dir` are released (not the
    `layers/` package or anything else beside them). Returns the paths written,
    sorted by name. Raises NotebookReleaseError with nbgrader's own messages
    when nbgrader rejects a notebook (for instance a solution region outside a
    solution cell, or a duplicate grade_id).
    """
    source_dir = Path(source_dir)
    out_dir = Path(out_dir)
    sources = sorted(source_dir.glob("*.ipynb"))
    if not sources:
        return []
    with tempfile.TemporaryDirectory(prefix="nbgrader-release-") as tmp:
        course = Path(tmp) / "course"
        assignment_source = course / "source" / _ASSIGNMENT
        assignment_source.mkdir(parents=True)
        config_dir = Path(tmp) / "jupyter-config"
        config_dir.mkdir()
        for source in sources:
            shutil.copyfile(source, assignment_source / source.name)
        command = [
            sys.executable, "-m", "nbgrader", "generate_assignment", _ASSIGNMENT,
            "--force",
            # No gradebook: the release needs none, and creating one (through
            # alembic) triples the run time. The notebooks come out identical.
            "--no-db",
            f"--CourseDirectory.root={course}",
            "--CourseDirectory.course_id=course",
            "--log-level=WARN",
        ]
        completed = subprocess.run(
            command, cwd=course, env=_nbgrader_env(config_dir),
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600,
        )
        release_dir = course / "release" / _ASSIGNMENT
        if completed.returncode != 0:
            raise NotebookReleaseError(
                f"nbgrader generate_assignment failed (exit {completed.returncode}):\n"
                f"{completed.stdout}\n{completed.stderr}".strip()
            )
        written = []
        out_dir.mkdir(parents=True, exist_ok=True)
        for source in sources:
            released = release_dir / source.name
            if not released.is_file():
                raise NotebookReleaseError(
                    f"nbgrader did not release {source.name}:\n{completed.stdout}\n{completed.stderr}".strip()
                )
            nb = nbformat.read(released, as_version=4)
            target = out_dir / source.name
            target.write_text(_canonical(nb), encoding="utf-8", newline="\n")
            written.append(target)
    return written


# ---------------------------------------------------------------------------
# Inspecting submitted notebooks
# ---------------------------------------------------------------------------


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
                report["errors"].append({"cell": index, "grade_id": handin.grade_id(cell),
                                         "ename": str(output.get("ename", "")),
                                         "evalue": str(output.get("evalue", ""))})

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
    report["only_not_implemented_errors"] = all(
        error["ename"] == "NotImplementedError" for error in report["errors"]
    )
    return report
