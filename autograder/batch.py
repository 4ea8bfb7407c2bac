"""Grade many submissions: `autograder grade SUBMISSION... --out DIR [--jobs N]`.

One broken submission never stops the others: anything that goes wrong while
grading one (the grader's own bugs included) becomes that submission's
results.json with score 0 and the reason. Submissions that already have a
results.json are skipped unless `force`. grades.csv lists the submissions in
the order given on the command line, plus any graded earlier into DIR.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from autograder.grade import Grader
from autograder.reports.files import remove_stale_temporaries, write_atomic, write_submission
from autograder.reports.grades import grades_csv
from autograder.reports.results import failure_results
from autograder.rubric import Rubric, load_rubric
from autograder.submission import submission_name

# A submission named like a report the grader writes next to the folders
# (grades.csv...) would take its place: such names get a "_" at the end.
REPORT_SUFFIXES = (".csv", ".md", ".png", ".json", ".html", ".txt", ".zip", ".pdf", ".tmp")


def unique_names(submissions: list[Path]) -> list[str]:
    """Submission names, with `-2`, `-3`... added when two inputs share a name."""
    seen: dict[str, int] = {}
    taken: set[str] = set()
    names = []
    for path in submissions:
        name = submission_name(path) or "submission"
        # Not UTF-8 (a file name's bytes): replace what cannot be printed or written.
        name = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace").replace("\x00", "")
        if name.startswith("."):
            name = "_" + name
        if Path(name).suffix.lower() in REPORT_SUFFIXES:
            name += "_"
        count = seen.get(name, 0) + 1
        candidate = name if count == 1 else f"{name}-{count}"
        while candidate in taken:  # "x", "x", "x-2": the last becomes "x-2-2", never a second "x-2"
            count += 1
            candidate = f"{name}-{count}"
        seen[name] = count
        taken.add(candidate)
        names.append(candidate)
    return names


def grade_all(
    submissions: list[Path],
    out_dir: Path,
    jobs: int = 1,
    force: bool = False,
    seed: int | None = None,
    rubric: Rubric | None = None,
    progress=None,
    started=None,
    names: list[str] | None = None,
) -> list[tuple[str, dict]]:
    """Grade `submissions` into `out_dir`; return (name, results) for each, in order.

    `started(name)` is called when a submission's grading begins, `progress(name, results)` when it
    ends (both from the worker threads; submissions with results already are neither). `names`:
    the submissions' names when not `unique_names(submissions)` (a shard's, made unique over the
    whole list).
    """
    rubric = rubric or load_rubric()
    seed = rubric.seed if seed is None else seed
    out_dir.mkdir(parents=True, exist_ok=True)
    names = unique_names(submissions) if names is None else names
    # What a run killed in the middle of a write left behind (report.write_atomic).
    remove_stale_temporaries(out_dir, ("grades.csv",))
    for name in names:
        remove_stale_temporaries(out_dir / name)
    rows: dict[str, dict] = {}
    todo = []
    for path, name in zip(submissions, names):
        existing = out_dir / name / "results.json"
        if existing.is_file() and not force:
            try:
                rows[name] = json.loads(existing.read_text(encoding="utf-8"))
                continue
            except ValueError:
                pass  # damaged: grade again
        todo.append((path, name))
    if todo:
        with tempfile.TemporaryDirectory(prefix="autograder-") as work:
            # Cores left over by --jobs run one submission's groups side by side.
            spare = max(1, (os.cpu_count() or 1) // max(1, jobs))
            grader = Grader(rubric, seed, Path(work), group_workers=spare)

            def one(item: tuple[Path, str]) -> tuple[str, dict]:
                path, name = item
                if started:
                    started(name)
                try:
                    results = grader.grade(path)
                except Exception:  # a grader bug must not cost the other submissions
                    results = failure_results(
                        name,
                        "internal error of the autograder while grading this submission:\n" + traceback.format_exc(),
                        rubric.max_score,
                        seed,
                    )
                results["extra_data"]["submission"] = name
                write_submission(out_dir, name, results)
                if progress:
                    progress(name, results)
                return name, results

            with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
                for name, results in pool.map(one, todo):
                    rows[name] = results
    return write_grades(out_dir, names, rows)


def write_grades(out_dir: Path, names: list[str], rows: dict[str, dict]) -> list[tuple[str, dict]]:
    """Write DIR/grades.csv: NAMES in order, then any graded earlier into DIR; return those rows."""
    ordered = [(name, rows[name]) for name in names if name in rows]
    earlier = sorted(p.parent.name for p in out_dir.glob("*/results.json") if p.parent.name not in rows)
    for name in earlier:
        try:
            ordered.append((name, json.loads((out_dir / name / "results.json").read_text(encoding="utf-8"))))
        except ValueError:
            continue
    write_atomic(out_dir / "grades.csv", grades_csv(ordered))
    return ordered


def print_table(rows: list[tuple[str, dict]], stream=sys.stdout) -> None:
    width = max([len(n) for n, _ in rows] + [10])
    print(f"{'submission':<{width}}  {'score':>7}  {'max':>5}", file=stream)
    for name, results in rows:
        print(f"{name:<{width}}  {results['score']:>7.2f}  {results['max_score']:>5g}", file=stream)
