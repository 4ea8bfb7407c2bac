"""Release the nbgrader notebooks.

`release_notebooks(source_dir, out_dir)` runs nbgrader's own
`generate_assignment` on the source notebooks of `source_dir` (only the
`*.ipynb` files at its top level) in a throw-away course folder, and writes the
released notebooks into `out_dir`. nbgrader replaces solution regions by
`raise NotImplementedError()` / "YOUR ANSWER HERE", clears outputs, locks the
read-only cells and records checksums. The result is byte-for-byte the same on
every run and every machine: nbgrader's output depends only on the notebooks,
and we re-serialize it in a canonical form. Every released notebook records
its nbgrader cells in its metadata (handin.RECORD_KEY) for collate.sh, which
has no released copy to compare with; the grader's side is checks/notebooks.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

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
    handin = trusted.load("handin")
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
            sys.executable,
            "-m",
            "nbgrader",
            "generate_assignment",
            _ASSIGNMENT,
            "--force",
            # No gradebook: the release needs none, and creating one (through
            # alembic) triples the run time. The notebooks come out identical.
            "--no-db",
            f"--CourseDirectory.root={course}",
            "--CourseDirectory.course_id=course",
            "--log-level=WARN",
        ]
        completed = subprocess.run(
            command,
            cwd=course,
            env=_nbgrader_env(config_dir),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=600,
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
