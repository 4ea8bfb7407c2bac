"""What runs inside the Gradescope bundle: `python -m autograder.gradescope run|selftest|check`.

`run` grades `$GRADESCOPE_ROOT/submission`, whatever students uploaded: the
collate tarball, its unpacked files (`layers/*.py` and notebooks), the two
modules without their folder, or the handout folder one level down. It
always writes `$GRADESCOPE_ROOT/results/results.json` in Gradescope's format;
if grading fails, with score 0 and the reason. Visibility of each test comes
from the rubric's [feedback] (`gradescope_case_visibility` and
`gradescope_summary_visibility` override the plain keys here); the
per-function summary at the top of the output is always visible, and so are
the 0-point reports (the notebooks, as shipped): information there, not
failed tests; the grader's stdout (sandbox diagnostics) is hidden from
students.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import replace
from pathlib import Path

from autograder import paths
from autograder.reports.results import function_totals, grading_failed, read_tests

DEFAULT_ROOT = "/autograder"
TARBALL_SUFFIXES = (".tar.gz", ".tgz", ".tar")
# Keys of a results.json Gradescope reads (its autograder specification).
GRADESCOPE_KEYS = (
    "score",
    "execution_time",
    "output",
    "output_format",
    "test_output_format",
    "test_name_format",
    "visibility",
    "stdout_visibility",
    "extra_data",
    "tests",
    "leaderboard",
)


def _regular(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()


def locate_submission(folder: Path, staging: Path) -> tuple[Path, list[str]]:
    """What to grade in Gradescope's submission folder, and notes on the choice.

    A collate tarball wins (it is the documented way to submit); else the
    folder itself when it has `layers/`; else the two modules uploaded without
    their folder (copied into `staging/layers/`); else the shallowest folder
    below that has `layers/`. When nothing fits, the folder itself, which then
    scores 0 with "missing" reasons.
    """
    notes: list[str] = []
    if not folder.is_dir():
        staging.mkdir(parents=True, exist_ok=True)
        return staging, ["Nothing was submitted."]
    tarballs = sorted(p for p in folder.iterdir() if _regular(p) and p.name.lower().endswith(TARBALL_SUFFIXES))
    if tarballs:
        chosen = tarballs[0]
        if len(tarballs) > 1:
            collated = [p for p in tarballs if "submission" in p.name]
            chosen = (collated or tarballs)[0]
            notes.append(
                f"Several archives were submitted ({', '.join(p.name for p in tarballs)}); graded {chosen.name}."
            )
        if (folder / paths.LAYERS_PACKAGE).exists():
            notes.append(f"Graded {chosen.name}; the other uploaded files were not used.")
        return chosen, notes
    if (folder / paths.LAYERS_PACKAGE).is_dir():
        return folder, notes
    flat = [folder / m for m in paths.STUDENT_MODULES if _regular(folder / m)]
    if flat:
        layers = staging / paths.LAYERS_PACKAGE
        layers.mkdir(parents=True, exist_ok=True)
        for source in flat:
            shutil.copyfile(source, layers / source.name)
        for notebook in folder.glob("*.ipynb"):
            if _regular(notebook):
                shutil.copyfile(notebook, staging / notebook.name)
        notes.append(
            "The modules were uploaded without their folder; graded them as "
            + " and ".join(f"layers/{p.name}" for p in flat)
            + "."
        )
        return staging, notes
    nested = sorted(
        (
            p.parent
            for p in folder.glob("**/" + paths.LAYERS_PACKAGE)
            if p.is_dir() and not p.is_symlink() and len(p.relative_to(folder).parts) <= 4
        ),
        key=lambda p: (len(p.parts), str(p)),
    )
    if nested:
        notes.append(
            f"The files were inside the folder {nested[0].relative_to(folder).as_posix()}/; graded that folder."
        )
        return nested[0], notes
    return folder, notes


def gradescope_rubric(rubric):
    """The rubric with the Gradescope-specific visibilities of [feedback] in force."""
    feedback = dict(rubric.feedback)
    for key in ("case_visibility", "summary_visibility"):
        feedback[key] = feedback.get(f"gradescope_{key}", feedback[key])
    return replace(rubric, feedback=feedback)


def function_summary(results: dict) -> str:
    """Per-function score and tests passed, as text for the always-visible top-level output."""
    rows = function_totals(read_tests(results))
    width = max([len(row.function) for row in rows] + [8])
    lines = [
        f"Score: {results['score']:g} / {results.get('max_score', 0):g}",
        "",
        f"{'function':<{width}}  {'points':>13}  {'tests passed':>12}",
    ]
    for row in rows:
        points = f"{round(row.score, 2):g} / {round(row.max_score, 2):g}"
        lines.append(f"{row.function:<{width}}  {points:>13}  {f'{row.passed} / {row.tests}':>12}")
    when = {
        "after_published": "once grades are published",
        "after_due_date": "after the due date",
        "hidden": "never: they stay with the course staff",
    }
    withheld: dict[str, int] = {}
    for test in results.get("tests", []):
        visibility = test.get("visibility", "visible")
        if visibility in when:
            withheld[visibility] = withheld.get(visibility, 0) + 1
    for visibility, count in withheld.items():
        lines += ["", f"The details of {count} tests (the hidden cases) are shown {when[visibility]}."]
    return "\n".join(lines)


def information_text(tests: list[dict]) -> str:
    """The 0-point tests (the notebook reports as shipped) as text for the top-level output."""
    lines = ["Information (0 points, not part of your score):"]
    for test in tests:
        output = str(test.get("output", "")).strip()
        if test.get("status") == "passed" or not output:
            lines.append(f"- {test['name']}: {output or 'ok'}")
        else:
            lines.append(f"- {test['name']}: not yet")
            lines += [f"    {line}" for line in output.splitlines()]
    return "\n".join(lines)


def for_gradescope(results: dict, notes: list[str]) -> tuple[dict, list[str]]:
    """Grader results -> Gradescope's results.json; also the lines meant for instructors only.

    Tests worth 0 points are information, not tests a student failed: they
    leave Gradescope's test list for the top-level output (always visible).
    """
    instructor_only, student_lines = [], []
    for line in results.get("output", "").splitlines():
        (instructor_only if line.startswith("WEAK ISOLATION") else student_lines).append(line)
    tests = results.get("tests", [])
    information = [t for t in tests if float(t.get("max_score", 0) or 0) <= 0]
    graded = [t for t in tests if float(t.get("max_score", 0) or 0) > 0]
    output = function_summary({**results, "tests": graded})
    extra = [*notes, *[line for line in student_lines if line.strip()]]
    if extra:
        output += "\n\nNotes:\n" + "\n".join(f"- {line}" for line in extra)
    if information:
        output += "\n\n" + information_text(information)
    converted = {key: results[key] for key in GRADESCOPE_KEYS if key in results}
    converted["tests"] = graded
    converted["output"] = output
    converted["stdout_visibility"] = "hidden"
    converted["extra_data"] = {**results.get("extra_data", {}), "max_score": results.get("max_score")}
    return converted, instructor_only


class Stopped(BaseException):
    """SIGTERM (run_autograder's time limit) arrived while grading.

    A BaseException, so no `except Exception` on the way turns it into something else.
    """


def _stop(signum, frame):
    raise Stopped()


def failure(reason: str, elapsed: float) -> dict:
    """results.json when grading itself failed: score 0 and the reason, visible."""
    text = f"Your submission could not be graded: {reason}"
    return {
        "score": 0.0,
        "execution_time": round(elapsed, 2),
        "output": text,
        "stdout_visibility": "hidden",
        "tests": [grading_failed(text).to_json()],
        "extra_data": {"internal_error": True},
    }


def run(root: Path, rubric_path: Path | None = None) -> dict:
    """Grade ROOT/submission into ROOT/results/results.json (always written); return the results."""
    from autograder.grade import Grader
    from autograder.isolation.probe import detect_sandbox
    from autograder.reports.files import write_atomic
    from autograder.rubric import load_rubric

    started = time.monotonic()
    root = Path(root)
    results_path = root / "results" / "results.json"
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        rubric = gradescope_rubric(load_rubric(rubric_path))
        sandbox = detect_sandbox()
        print(f"sandbox: {sandbox.mode}" + (f" ({sandbox.warning})" if sandbox.warning else ""), flush=True)
        with tempfile.TemporaryDirectory(prefix="autograder-gradescope-") as work:
            target, notes = locate_submission(root / "submission", Path(work) / "staged")
            print(f"grading {target}", flush=True)
            grader = Grader(rubric, rubric.seed, Path(work) / "grader", sandbox)
            results = grader.grade(target)
        results["extra_data"]["submission"] = "submission"
        results, instructor_only = for_gradescope(results, notes)
        for line in instructor_only:
            print(line, flush=True)
    except Stopped:
        results = failure(
            "grading took longer than the time limit and was stopped (an infinite loop, or code far too slow?).",
            time.monotonic() - started,
        )
    except Exception:
        print(traceback.format_exc(), flush=True)
        results = failure(
            "the autograder failed (an error of the autograder, not of your code; the course "
            "staff can see the details).",
            time.monotonic() - started,
        )
    finally:
        signal.signal(signal.SIGTERM, previous)
    write_atomic(results_path, json.dumps(results, indent=2) + "\n")
    print(f"score {results['score']:g}; wrote {results_path}", flush=True)
    return results


def selftest() -> int:
    """Grade the reference solution as a submission (setup.sh's last step)."""
    with tempfile.TemporaryDirectory(prefix="autograder-selftest-") as root:
        layers = Path(root) / "submission" / paths.LAYERS_PACKAGE
        layers.mkdir(parents=True)
        for module in paths.STUDENT_MODULES:
            shutil.copyfile(paths.SOLUTION_LAYERS_DIR / module, layers / module)
        results = run(Path(root))
    maximum = results.get("extra_data", {}).get("max_score")
    failed = [t.name for t in read_tests(results) if not t.passed and t.function != "notebooks"]
    if failed or maximum is None or abs(results["score"] - maximum) > 1e-6:
        print(
            f"selftest: FAILED: the reference solution scored {results['score']} / {maximum}; failed: "
            + ", ".join(failed),
            file=sys.stderr,
        )
        return 1
    print(f"selftest: the reference solution scores {results['score']:g} / {maximum:g}")
    return 0


def check() -> int:
    from autograder.isolation.probe import detect_sandbox
    from autograder.rubric import load_rubric

    load_rubric()
    sandbox = detect_sandbox()
    print(f"sandbox: {sandbox.mode}" + (f"\n{sandbox.warning}" if sandbox.warning else ""))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m autograder.gradescope", description="What runs inside the Gradescope bundle."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    grade = commands.add_parser("run", help="grade ROOT/submission into ROOT/results/results.json")
    grade.add_argument("--root", default=os.environ.get("GRADESCOPE_ROOT", DEFAULT_ROOT))
    grade.add_argument("--rubric", default=None, help=argparse.SUPPRESS)
    commands.add_parser("selftest", help="grade the reference solution; exit 1 unless full marks")
    commands.add_parser("check", help="load the rubric and report the sandbox mode")
    fail = commands.add_parser(
        "fail",
        help="write ROOT/results/results.json for a submission that could not be "
        "graded (run_autograder, when grading wrote nothing)",
    )
    fail.add_argument("--root", default=os.environ.get("GRADESCOPE_ROOT", DEFAULT_ROOT))
    fail.add_argument("--reason", required=True)
    args = parser.parse_args(argv)
    if args.command == "run":
        run(Path(args.root), args.rubric)
        return 0
    if args.command == "fail":
        from autograder.reports.files import write_atomic

        write_atomic(
            Path(args.root) / "results" / "results.json", json.dumps(failure(args.reason, 0.0), indent=2) + "\n"
        )
        return 0
    return selftest() if args.command == "selftest" else check()


if __name__ == "__main__":
    sys.exit(main())
