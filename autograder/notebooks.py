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
executes it) and reports whether it is a valid notebook, whether it has been
run, which cells raised errors, which solution and answer cells are still as
released, and which read-only cells were changed.
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

# Name of the assignment inside the throw-away nbgrader course; it appears in
# no released file.
_ASSIGNMENT = "assignment"
# Largest submitted notebook inspect_notebook reads (bytes).
MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024
# nbgrader's stubs, as its ClearSolutions preprocessor writes them by default.
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"
# Notebook metadata kept in released notebooks; anything else (a local
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


def _normalized(source: Any) -> str:
    """Cell source for comparisons: joined if a list, trailing spaces and blank edges dropped."""
    if isinstance(source, list):
        source = "".join(str(part) for part in source)
    lines = [line.rstrip() for line in str(source).replace("\r\n", "\n").split("\n")]
    return "\n".join(lines).strip("\n")


def _nbgrader_meta(cell: Any) -> dict:
    metadata = cell.get("metadata") if isinstance(cell, dict) else None
    meta = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return meta if isinstance(meta, dict) else {}


def _grade_id(cell: Any) -> str | None:
    grade_id = _nbgrader_meta(cell).get("grade_id")
    return grade_id if isinstance(grade_id, str) and grade_id else None


def _kind(cell: Any) -> str | None:
    """'solution' (code to write), 'answer' (manually graded text), 'locked', or None."""
    meta = _nbgrader_meta(cell)
    cell_type = cell.get("cell_type")
    if meta.get("solution") and meta.get("grade") and cell_type == "markdown":
        return "answer"
    if meta.get("solution"):
        return "solution"
    if meta.get("locked"):
        return "locked"
    return None


def _load_released(released: Path) -> dict[str, dict]:
    """grade_id -> {'kind', 'cell_type', 'source'} of the released notebook's nbgrader cells."""
    nb = nbformat.read(Path(released), as_version=4)
    cells = {}
    for cell in nb.cells:
        grade_id, kind = _grade_id(cell), _kind(cell)
        if grade_id is not None and kind is not None:
            cells[grade_id] = {"kind": kind, "cell_type": cell.cell_type, "source": _normalized(cell.source)}
    return cells


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
    submitted = Path(submitted)
    report = _empty_report(submitted)
    reference = _load_released(released)

    try:
        size = submitted.stat().st_size
    except OSError as exc:
        report["problem"] = f"cannot read the notebook: {exc.strerror or exc}"
        report["missing_cells"] = sorted(reference)
        return report
    if size > MAX_NOTEBOOK_BYTES:
        report["problem"] = f"the notebook is too large ({size} bytes, at most {MAX_NOTEBOOK_BYTES})"
        report["missing_cells"] = sorted(reference)
        return report
    try:
        raw = json.loads(submitted.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        report["problem"] = f"not a JSON file: {exc}"
        report["missing_cells"] = sorted(reference)
        return report
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        report["problem"] = "not a notebook: no list of cells"
        report["missing_cells"] = sorted(reference)
        return report

    cells = [cell for cell in raw["cells"] if isinstance(cell, dict)]
    try:
        if raw.get("nbformat") != 4:
            raise ValueError(f"nbformat {raw.get('nbformat')!r}, expected 4")
        nbformat.validate(nbformat.from_dict(raw))
        report["valid"] = True
    except Exception as exc:  # nbformat raises several kinds; all mean "invalid"
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        report["problem"] = f"not a valid nbformat 4 notebook: {message}"

    counts = []
    seen = set()
    for index, cell in enumerate(cells):
        grade_id = _grade_id(cell)
        if cell.get("cell_type") == "code" and _normalized(cell.get("source", "")):
            report["code_cells"] += 1
            count = cell.get("execution_count")
            if isinstance(count, int) and not isinstance(count, bool):
                report["executed_cells"] += 1
                counts.append(count)
            outputs = cell.get("outputs")
            outputs = outputs if isinstance(outputs, list) else []
            if outputs:
                report["cells_with_outputs"] += 1
            for output in outputs:
                if isinstance(output, dict) and output.get("output_type") == "error":
                    report["errors"].append({
                        "cell": index,
                        "grade_id": grade_id,
                        "ename": str(output.get("ename", "")),
                        "evalue": str(output.get("evalue", "")),
                    })
        if grade_id is None or grade_id not in reference or grade_id in seen:
            continue
        seen.add(grade_id)
        expected = reference[grade_id]
        same = _normalized(cell.get("source", "")) == expected["source"]
        kind = expected["kind"]
        if kind == "solution":
            report["unchanged_solutions" if same else "changed_solutions"].append(grade_id)
        elif kind == "answer":
            report["unchanged_answers" if same else "changed_answers"].append(grade_id)
        elif not same or cell.get("cell_type") != expected["cell_type"]:
            report["modified_locked_cells"].append(grade_id)

    report["executed"] = report["code_cells"] > 0 and report["executed_cells"] == report["code_cells"]
    report["executed_in_order"] = report["executed"] and all(a < b for a, b in zip(counts, counts[1:]))
    report["only_not_implemented_errors"] = all(
        error["ename"] == "NotImplementedError" for error in report["errors"]
    )
    report["missing_cells"] = sorted(set(reference) - seen)
    return report
