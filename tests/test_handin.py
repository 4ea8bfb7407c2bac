"""layers/handin.py: the one definition of a notebook "run, saved and completed".

Unit tests on small notebooks built here, then on the real released
notebooks (a real `autograder release`), where collate.sh's reading (the
record in the notebook's metadata) and the grader's (the released notebook)
must agree finding for finding.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import trusted

REPO = Path(__file__).resolve().parents[1]
handin = trusted.load("handin")  # solutions/layers/handin.py, the given module as the handout ships it


def cell(kind, source, grade_id=None, role=None, run=None, outputs=None):
    """A notebook cell; `role` is 'solution', 'answer' or 'locked' (nbgrader metadata)."""
    made = {"cell_type": kind, "metadata": {}, "source": source}
    if kind == "code":
        made["execution_count"] = run
        made["outputs"] = outputs or []
    if grade_id:
        made["id"] = grade_id
        made["metadata"]["nbgrader"] = {
            "grade_id": grade_id,
            "solution": role in ("solution", "answer"),
            "grade": role == "answer",
            "locked": role == "locked",
        }
    return made


def released():
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [
            cell("markdown", "# Title", "intro", "locked"),
            cell("code", "import numpy as np", "setup", "locked"),
            cell("markdown", "## 1. Forward\n\nWrite it.", "forward-md", "locked"),
            cell(
                "code", "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()", "forward-stub", "solution"
            ),
            cell("code", "print(f(1))", "forward-check", "locked"),
            cell("markdown", "### Inline question", "question-md", "locked"),
            cell("markdown", "YOUR ANSWER HERE", "question", "answer"),
        ],
    }


def completed():
    notebook = copy.deepcopy(released())
    for index, entry in enumerate(notebook["cells"]):
        if entry["cell_type"] == "code":
            entry["execution_count"] = index
    notebook["cells"][3]["source"] = "def f(x):\n    return 2 * x"
    notebook["cells"][6]["source"] = "Because it is linear."
    return notebook


def kinds(findings):
    return [finding.kind for finding in findings]


RECORD = handin.released_cells(released())


def test_the_record_names_cells_by_section_and_first_line():
    by_id = {entry["id"]: entry for entry in RECORD}
    assert by_id["forward-stub"]["section"] == "1. Forward"
    assert by_id["forward-stub"]["first_line"] == "def f(x):"
    assert by_id["question"]["section"] == "Inline question" and by_id["question"]["kind"] == "answer"
    assert by_id["setup"]["section"] == "Title" and by_id["setup"]["kind"] == "locked"


def test_a_completed_notebook_has_no_findings():
    assert handin.notebook_findings(completed(), RECORD) == []


def test_untouched_release_lists_every_missing_item_in_the_students_words():
    findings = handin.notebook_findings(released(), RECORD)
    assert kinds(findings) == ["not_run", "unfilled", "unanswered"]
    assert "NOT BEEN RUN" in findings[0].text
    assert (
        findings[1].text == 'section "1. Forward": the code cell starting "def f(x):" is still to fill in '
        "(it is as handed out)"
    )
    assert findings[2].text.startswith('section "Inline question": the answer cell still says "YOUR ANSWER HERE"')
    assert all("forward-stub" not in finding.text for finding in findings)


def test_partly_run_names_the_cells_not_run():
    notebook = completed()
    notebook["cells"][4]["execution_count"] = None
    (finding,) = handin.notebook_findings(notebook, RECORD)
    assert finding.kind == "not_run"
    assert "1 of 3 code cells have not been run" in finding.text
    assert 'section "1. Forward": the code cell starting "print(f(1))"' in finding.text


def test_outputs_without_an_execution_count_are_not_a_run():
    notebook = completed()
    notebook["cells"][1]["execution_count"] = None
    notebook["cells"][1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "x"}]
    assert kinds(handin.notebook_findings(notebook, RECORD)) == ["not_run"]


def test_an_error_output_names_its_cell_and_error():
    notebook = completed()
    notebook["cells"][4]["outputs"] = [
        {"output_type": "error", "ename": "NameError", "evalue": "name 'g' is not defined", "traceback": []}
    ]
    (finding,) = handin.notebook_findings(notebook, RECORD)
    assert finding.kind == "error" and finding.ename == "NameError"
    assert (
        finding.text == 'section "1. Forward": the code cell starting "print(f(1))" shows an error '
        "(NameError: name 'g' is not defined): fix it, run it again and save"
    )


def test_deleted_cells_lost_metadata_and_changed_read_only_cells():
    notebook = completed()
    del notebook["cells"][5]  # the question's heading
    notebook["cells"][1]["metadata"] = {}  # copied and pasted: metadata lost
    notebook["cells"][3]["source"] += "\n"  # whitespace alone changes nothing
    notebook["cells"][2]["source"] = "## 1. Forward, my notes"
    findings = handin.notebook_findings(notebook, RECORD)
    assert kinds(findings) == ["deleted", "deleted", "changed"]
    assert {f.grade_id for f in findings} == {"setup", "question-md", "forward-md"}
    assert "the top of the notebook" not in findings[0].text
    assert "is missing (deleted, or its metadata was lost" in findings[0].text


def test_the_record_in_the_notebook_stands_in_for_the_release():
    notebook = completed()
    notebook["metadata"][handin.RECORD_KEY] = {"cells": RECORD}
    del notebook["cells"][4]
    assert kinds(handin.notebook_findings(notebook)) == ["deleted"]
    notebook["metadata"] = {}
    assert kinds(handin.notebook_findings(notebook)) == ["no_record"]


@pytest.mark.parametrize(
    "content, words",
    [
        (b"\x89PNG not json", "not a JSON file (not UTF-8"),
        (b'{"cells": [', "not a JSON file ("),
        (b"[1, 2]", "not a notebook: no list of cells"),
    ],
)
def test_unreadable_files_are_explained(tmp_path, content, words):
    path = tmp_path / "broken.ipynb"
    path.write_bytes(content)
    notebook, problem = handin.read_notebook(str(path))
    assert notebook is None and problem.startswith(words)
    assert handin.read_notebook(str(tmp_path / "gone.ipynb"))[1].startswith("cannot read the notebook")


def test_command_line_protocol_for_collate(tmp_path):
    (tmp_path / "layers").mkdir()
    (tmp_path / "layers" / "conv.py").write_text("def f(:\n", encoding="utf-8")
    (tmp_path / "layers" / "norm.py").write_text("x = 1\n", encoding="utf-8")
    notebook = completed()
    notebook["metadata"][handin.RECORD_KEY] = {"cells": RECORD}
    (tmp_path / "Done.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    (tmp_path / "Todo.ipynb").write_text(json.dumps({**released(), "metadata": {handin.RECORD_KEY: {"cells": RECORD}}}))
    result = subprocess.run(
        [
            sys.executable,
            "-I",
            "-B",
            str(REPO / "solutions" / "layers" / "handin.py"),
            "check",
            str(tmp_path),
            "layers/conv.py",
            "layers/norm.py",
            "Done.ipynb",
            "Todo.ipynb",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("E layers/conv.py:1: SyntaxError")
    assert "O layers/norm.py: compiles" in lines
    assert "O Done.ipynb: run, saved and completed (3 code cells)" in lines
    assert [line[:12] for line in lines if line.startswith("W Todo")] == ["W Todo.ipynb"] * 3
    wrong = subprocess.run(
        [sys.executable, str(REPO / "solutions" / "layers" / "handin.py")], capture_output=True, text=True, timeout=60
    )
    assert wrong.returncode == 2 and "usage" in wrong.stderr


def test_standard_library_only():
    import ast

    tree = ast.parse((REPO / "solutions" / "layers" / "handin.py").read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported <= set(sys.stdlib_module_names), imported - set(sys.stdlib_module_names)


def test_released_notebooks_carry_the_record_and_both_readings_agree(released_handout, tmp_path):
    """collate.sh reads the record in the notebook; the grader the released notebook: same findings."""
    from autograder.checks.notebooks import inspect_notebook

    names = sorted(p.name for p in released_handout.glob("*.ipynb"))
    assert names
    for name in names:
        notebook = json.loads((released_handout / name).read_text(encoding="utf-8"))
        assert handin.recorded_cells(notebook) == handin.released_cells(notebook)
        edited = copy.deepcopy(notebook)
        del edited["cells"][2]
        for entry in edited["cells"]:
            if entry["cell_type"] == "code":
                entry["execution_count"] = 1
        path = tmp_path / name
        path.write_text(json.dumps(edited), encoding="utf-8")
        by_collate = [f.as_dict() for f in handin.notebook_findings(edited)]
        by_grader = inspect_notebook(path, released_handout / name)["findings"]
        assert by_collate == by_grader and by_grader, name
        assert any(f["kind"] == "deleted" for f in by_grader)


def test_damaged_cells_never_crash_the_check():
    """Whatever a submitted notebook holds, the grader's report gets findings, not an exception."""
    odd = {
        "cells": [
            {"cell_type": "code", "source": 123, "outputs": "x", "execution_count": True, "metadata": []},
            {"cell_type": ["markdown"], "source": None, "metadata": {"nbgrader": [1]}},
            {"cell_type": "markdown", "source": ["#", "##   ", "# \x00x"]},
            {
                "cell_type": "code",
                "source": "a",
                "outputs": [{"output_type": "error", "ename": {"a": 1}, "evalue": None}],
                "metadata": {"nbgrader": {"grade_id": 5}},
            },
            5,
            None,
            "text",
        ],
        "metadata": {
            handin.RECORD_KEY: {
                "cells": [{"id": "forward-stub", "kind": "solution", "sha256": 5, "section": None, "first_line": 7}]
            }
        },
    }
    for record in (RECORD, None):
        findings = handin.notebook_findings(odd, record)
        assert "not_run" in kinds(findings) and "error" in kinds(findings) and "deleted" in kinds(findings)
        assert all(isinstance(finding.text, str) and finding.text for finding in findings)
