"""Write autograded scores into nbgrader's gradebook (`grade --gradebook DB --assignment NAME`).

Everything goes through nbgrader's own API (`nbgrader.api.Gradebook` and its
ORM classes), so formgrader shows the scores beside the manually graded
questions of the assignment's notebooks and `nbgrader export` includes them
in the totals.

Layout in the gradebook: the assignment NAME (created when missing) gets a
notebook called `layers` (the graded package) with one autograded grade cell
per rubric function that has points, named after the function, whose
max_score is the function's points. Each submission becomes a student (created
when missing) whose `layers` grades get `auto_score` = that function's score;
a `manual_score` set in formgrader is kept and still wins.

Students: the submission's name, less the `_submission` suffix that
`collate.sh STUDENT_ID` adds (`alice_submission.tar.gz` -> `alice`).

Order with nbgrader's own commands: run `nbgrader generate_assignment` before
(once submissions exist, it refuses to change the assignment's notebooks) and
`nbgrader autograde` before as well: autograde gives 0 to every notebook it
does not find in a student's folder, `layers` included. Running `autograder
grade --gradebook` again (it is idempotent) puts the scores back.
"""

from __future__ import annotations

import os
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

NOTEBOOK = "layers"
COLLATE_SUFFIX = "_submission"


class GradebookError(RuntimeError):
    """The gradebook could not be opened or written."""


@dataclass
class GradebookReport:
    written: list[str] = field(default_factory=list)  # student ids
    created_students: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # submissions not written, with why


def student_id(submission: str) -> str:
    if submission.endswith(COLLATE_SUFFIX) and len(submission) > len(COLLATE_SUFFIX):
        return submission[: -len(COLLATE_SUFFIX)]
    return submission


def function_points(rubric) -> dict[str, float]:
    """Grade cells: every function of the rubric with points, and its maximum."""
    points = {function: float(sum(categories.values())) for function, categories in rubric.points.items()}
    return {function: value for function, value in points.items() if value > 0}


def _ensure_alembic_on_path() -> None:
    # nbgrader runs the `alembic` command when it creates a gradebook; it sits
    # beside this Python, which may not be on PATH (a venv not activated).
    here = str(Path(sys.executable).parent)
    if here not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = here + os.pathsep + os.environ.get("PATH", "")


def _ensure_structure(gb, assignment: str, cells: dict[str, float]) -> None:
    from nbgrader.api import MissingEntry

    try:
        gb.find_assignment(assignment)
    except MissingEntry:
        gb.add_assignment(assignment)
    try:
        gb.find_notebook(NOTEBOOK, assignment)
    except MissingEntry:
        gb.add_notebook(NOTEBOOK, assignment)
    for name, maximum in cells.items():
        gb.update_or_create_grade_cell(name, NOTEBOOK, assignment, max_score=maximum, cell_type="code")


def _submitted_notebook(gb, assignment: str, student: str):
    """The student's `layers` notebook in this assignment, with a Grade for every grade cell."""
    from nbgrader.api import Grade, MissingEntry, SubmittedNotebook

    try:
        submission = gb.find_submission(assignment, student)
    except MissingEntry:
        submission = gb.add_submission(assignment, student)
    try:
        submitted = gb.find_submission_notebook(NOTEBOOK, assignment, student)
    except MissingEntry:
        # The submission existed before the `layers` notebook was added.
        submitted = SubmittedNotebook(notebook=gb.find_notebook(NOTEBOOK, assignment), assignment=submission)
        gb.db.add(submitted)
    have = {grade.cell_id for grade in submitted.grades}
    for cell in gb.find_notebook(NOTEBOOK, assignment).grade_cells:
        if cell.id not in have:
            gb.db.add(Grade(cell_id=cell.id, notebook=submitted))
    gb.db.commit()
    return submitted


def write_gradebook(
    db_path: Path, assignment: str, rows: list[tuple[str, dict]], rubric, course_id: str = ""
) -> GradebookReport:
    """Store every graded submission's function scores in the gradebook at `db_path`.

    `course_id` "" is what nbgrader's commands use when none is configured.
    """
    _ensure_alembic_on_path()
    from nbgrader.api import Gradebook, MissingEntry

    db_path = Path(db_path).resolve()
    db_path.parent.mkdir(parents=True, exist_ok=True)
    cells = function_points(rubric)
    report = GradebookReport()
    try:
        gb = Gradebook(f"sqlite:///{db_path}", course_id=course_id)
    except Exception as error:
        raise GradebookError(f"cannot open the gradebook {db_path}: {error}") from error
    with warnings.catch_warnings():
        try:
            # nbgrader's add_submission makes SQLAlchemy warn about its own autoflush; harmless.
            warnings.filterwarnings("ignore", message=".*not in session.*")
            _ensure_structure(gb, assignment, cells)
            for name, results in rows:
                extra = results.get("extra_data", {})
                if extra.get("internal_error"):
                    report.skipped.append(f"{name}: the autograder failed on it (see its results.json)")
                    continue
                student = student_id(name)
                try:
                    gb.find_student(student)
                except MissingEntry:
                    gb.add_student(student)
                    report.created_students.append(student)
                submitted = _submitted_notebook(gb, assignment, student)
                scores = extra.get("function_scores", {})
                for grade in submitted.grades:
                    if grade.cell.name in cells:
                        grade.auto_score = float(scores.get(grade.cell.name, 0.0))
                        grade.needs_manual_grade = False
                gb.db.commit()
                report.written.append(student)
        except Exception as error:
            gb.db.rollback()
            raise GradebookError(
                f"could not write to the gradebook {db_path}: {type(error).__name__}: {error}"
            ) from error
        finally:
            gb.close()
    return report
