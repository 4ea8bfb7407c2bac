"""`autograder grade --gradebook DB --assignment NAME` with a real nbgrader gradebook (issue 7).

The gradebook is made the way an instructor's is: nbgrader's API creates the
assignment with a notebook holding a manually graded question, and one
student already has a submission with a manual score. Then three submissions
are graded into it, and the scores are read back with nbgrader's API and with
`nbgrader export` (a subprocess, the venv's bin/ on PATH as nbgrader needs).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import paths
from autograder.reports.gradebook import NOTEBOOK, function_points, student_id
from autograder.rubric import load_rubric

pytestmark = pytest.mark.filterwarnings("ignore:.*not in session")

ASSIGNMENT = "ps1"
BUG = ("np.sum(window * w[f]) + b[f]", "np.sum(window * w[f])")


def autograder_command() -> list[str]:
    script = Path(sys.executable).parent / "autograder"
    return [str(script)] if script.exists() else [sys.executable, "-m", "autograder"]


def venv_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def open_gradebook(db: Path):
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
    from nbgrader.api import Gradebook

    return Gradebook(f"sqlite:///{db}", course_id="")


def make_folder(folder: Path, source: Path, bug: bool = False) -> Path:
    (folder / "layers").mkdir(parents=True)
    for module in paths.STUDENT_MODULES:
        text = (source / module).read_text()
        if bug and module == "conv.py":
            assert BUG[0] in text
            text = text.replace(*BUG)
        (folder / "layers" / module).write_text(text)
    return folder


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("gradebook")
    db = root / "course" / "gradebook.db"
    db.parent.mkdir()
    # The instructor's gradebook: a released notebook with a manually graded answer, one submission graded.
    with open_gradebook(db) as gb:
        gb.add_assignment(ASSIGNMENT)
        gb.add_notebook("BatchNormalization", ASSIGNMENT)
        gb.add_grade_cell("inline-question-1", "BatchNormalization", ASSIGNMENT, max_score=5, cell_type="markdown")
        gb.add_student("alice", first_name="Alice")
        gb.add_submission(ASSIGNMENT, "alice")
        grade = gb.find_grade("inline-question-1", "BatchNormalization", ASSIGNMENT, "alice")
        grade.manual_score = 4.0
        gb.db.commit()
    subs = root / "subs"
    good = make_folder(subs / "alice_submission", paths.SOLUTION_LAYERS_DIR)
    tarball = subs / "alice_submission.tar.gz"
    subprocess.run(["tar", "czf", str(tarball), "-C", str(good), "layers"], check=True)
    shutil.rmtree(good)
    buggy = make_folder(subs / "bob", paths.SOLUTION_LAYERS_DIR, bug=True)
    stubs = make_folder(subs / "carol_submission", paths.ASSIGNMENT_DIR / "layers")
    out = root / "out"
    command = [
        *autograder_command(),
        "grade",
        str(tarball),
        str(buggy),
        str(stubs),
        "--out",
        str(out),
        "--jobs",
        "2",
        "--gradebook",
        str(db),
        "--assignment",
        ASSIGNMENT,
    ]
    # Without the venv on PATH: the command must find nbgrader's `alembic` itself.
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env["PATH"] = "/usr/bin:/bin"
    first = subprocess.run(command, capture_output=True, text=True, timeout=1200, env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    results = {
        name: json.loads((out / name / "results.json").read_text())
        for name in ("alice_submission", "bob", "carol_submission")
    }
    return root, db, out, command, env, first.stdout, results


def test_student_ids_drop_the_collate_suffix():
    assert student_id("alice_submission") == "alice"
    assert student_id("bob") == "bob"
    assert student_id("_submission") == "_submission"


def test_scores_read_back_with_nbgrader_api(graded):
    _, db, _, _, _, stdout, results = graded
    assert "scores of 3 students written" in stdout
    cells = function_points(load_rubric())
    with open_gradebook(db) as gb:
        assert {s.id for s in gb.students} == {"alice", "bob", "carol"}
        notebook = gb.find_notebook(NOTEBOOK, ASSIGNMENT)
        assert {c.name: c.max_score for c in notebook.grade_cells} == cells
        for name, student in (("alice_submission", "alice"), ("bob", "bob"), ("carol_submission", "carol")):
            scores = results[name]["extra_data"]["function_scores"]
            for function in cells:
                grade = gb.find_grade(function, NOTEBOOK, ASSIGNMENT, student)
                assert grade.auto_score == pytest.approx(scores.get(function, 0.0))
                assert not grade.needs_manual_grade
            notebook_score = gb.find_submission_notebook(NOTEBOOK, ASSIGNMENT, student).score
            assert notebook_score == pytest.approx(results[name]["score"])
        # Alice: the autograded functions beside her manually graded answer.
        alice = gb.find_submission(ASSIGNMENT, "alice")
        assert alice.score == pytest.approx(100 + 4.0)
        assert gb.find_assignment(ASSIGNMENT).max_score == pytest.approx(100 + 5)
        assert 0 < gb.find_submission(ASSIGNMENT, "bob").score < 100
        assert gb.find_submission(ASSIGNMENT, "carol").score == 0


def test_scores_exported_by_nbgrader_export(graded):
    root, db, _, _, _, _, _ = graded
    export = root / "export.csv"
    result = subprocess.run(
        ["nbgrader", "export", f"--CourseDirectory.root={db.parent}", "--to", str(export)],
        cwd=db.parent,
        capture_output=True,
        text=True,
        timeout=300,
        env=venv_env(),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    with open(export) as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert float(rows["alice"]["score"]) == pytest.approx(104)
    assert float(rows["alice"]["max_score"]) == pytest.approx(105)
    assert float(rows["carol"]["score"]) == 0
    assert 0 < float(rows["bob"]["score"]) < 100


def test_grading_again_is_idempotent_and_keeps_manual_overrides(graded):
    _, db, out, command, env, _, _ = graded
    with open_gradebook(db) as gb:
        grade = gb.find_grade("conv_forward_naive", NOTEBOOK, ASSIGNMENT, "bob")
        grade.manual_score = 9.5  # the instructor overrides one autograded score in formgrader
        gb.db.commit()
        before = gb.find_submission(ASSIGNMENT, "bob").score
    again = subprocess.run(command, capture_output=True, text=True, timeout=1200, env=env)  # results are reused
    assert again.returncode == 0, again.stdout + again.stderr
    with open_gradebook(db) as gb:
        assert len(gb.students) == 3 and len(gb.find_assignment(ASSIGNMENT).submissions) == 3
        assert gb.find_grade("conv_forward_naive", NOTEBOOK, ASSIGNMENT, "bob").score == 9.5
        assert gb.find_submission(ASSIGNMENT, "bob").score == pytest.approx(before)


def test_gradebook_needs_an_assignment(tmp_path):
    result = subprocess.run(
        [
            *autograder_command(),
            "grade",
            str(tmp_path),
            "--out",
            str(tmp_path / "out"),
            "--gradebook",
            str(tmp_path / "gradebook.db"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "--assignment" in result.stderr
