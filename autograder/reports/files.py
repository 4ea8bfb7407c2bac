"""Write what grading produced: results.json, feedback.md, grades.csv (SPEC section 3).

Every file is written to a temporary name in the same folder and renamed into
place, so a grader killed halfway never leaves a half-written file.
"""
from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections import OrderedDict
from pathlib import Path

from autograder.contract import GRADED_FUNCTIONS


TEMPORARY_SUFFIX = ".tmp"


def clean_text(value):
    """VALUE with every string made writable anywhere: lone surrogates (from non-UTF-8 file names or
    a student's exception message) become U+FFFD, NUL characters go; dicts and lists are cleaned
    through."""
    if isinstance(value, str):
        if value.isascii():
            return value.replace("\x00", "")
        return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace").replace("\x00", "")
    if isinstance(value, dict):
        return {clean_text(k): clean_text(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_text(v) for v in value]
    return value


def write_atomic(path: Path, text: str) -> None:
    """Write PATH so that it is either absent, or the old content, or TEXT in full.

    The text goes to a hidden temporary file in the same folder, which is
    flushed to disk and then renamed over PATH (a rename within a folder is
    atomic). A grader killed before the rename leaves at most that hidden
    temporary file, which `remove_stale_temporaries` deletes on the next run.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMPORARY_SUFFIX)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(handle, 0o666 & ~umask)  # as an ordinary file would be, not mkstemp's 0600
        with os.fdopen(handle, "w", encoding="utf-8", errors="replace") as stream:
            stream.write(clean_text(text))
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def remove_stale_temporaries(folder: Path, names: tuple[str, ...] = ("results.json", "feedback.md")) -> None:
    """Delete the temporary files a killed run of `write_atomic` left in FOLDER for NAMES."""
    for name in names:
        for leftover in folder.glob(f".{name}.*{TEMPORARY_SUFFIX}"):
            leftover.unlink(missing_ok=True)


def _number(value: float) -> str:
    return f"{value:g}"


def feedback_markdown(results: dict) -> str:
    """The results, readable by a person: a summary table, then every failed test in full."""
    extra = results.get("extra_data", {})
    lines = [f"# Feedback for {extra.get('submission', 'your submission')}", "",
             f"**Score: {_number(results['score'])} / {_number(results['max_score'])}**", ""]
    if results.get("output"):
        lines += ["## Notes", ""] + [f"- {line}" for line in results["output"].splitlines() if line.strip()] + [""]
    by_function: OrderedDict[str, list[dict]] = OrderedDict()
    for test in results["tests"]:
        function = (test.get("extra_data") or {}).get("function") or test["name"].split(":", 1)[0]
        by_function.setdefault(function, []).append(test)
    lines += ["## Summary", "", "| function | score | tests passed |", "|---|---:|---:|"]
    for function, tests in by_function.items():
        score = sum(t["score"] for t in tests)
        maximum = sum(t["max_score"] for t in tests)
        passed = sum(t["status"] == "passed" for t in tests)
        lines.append(f"| `{function}` | {_number(round(score, 2))} / {_number(round(maximum, 2))} | "
                     f"{passed} / {len(tests)} |")
    lines.append("")
    for function, tests in by_function.items():
        lines += [f"## `{function}`", ""]
        for test in tests:
            # A 0-point test (the notebook report as shipped) is information, not a failure.
            mark = "PASS" if test["status"] == "passed" else "NOTE" if test["max_score"] == 0 else "FAIL"
            what = test["name"].split(":", 1)[-1].strip()
            lines.append(f"- **{mark}** {what} ({_number(round(test['score'], 2))} / "
                         f"{_number(round(test['max_score'], 2))})")
            if test["status"] != "passed" and test.get("visibility", "visible") == "visible":
                lines += ["", "  ```text"] + [f"  {line}" for line in test["output"].splitlines()] + ["  ```", ""]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def write_submission(out_dir: Path, name: str, results: dict) -> None:
    folder = out_dir / name
    results = clean_text(results)
    remove_stale_temporaries(folder)
    write_atomic(folder / "feedback.md", feedback_markdown(results))
    # results.json last: its presence marks the submission as graded.
    write_atomic(folder / "results.json", json.dumps(results, indent=2) + "\n")


# diagnosis (issue 16)
def diagnosed_mistakes_cell(results: dict) -> str:
    """The known mistakes diagnosed in one submission, for grades.csv: "a; b|c" (b|c: one of b and c)."""
    diagnosis = results.get("extra_data", {}).get("diagnosis") or {}
    if not isinstance(diagnosis, dict):
        return ""
    return "; ".join("|".join(map(str, ids)) for ids in diagnosis.values() if isinstance(ids, list) and ids)


def grades_csv(rows: list[tuple[str, dict]]) -> str:
    """One row per submission: submission, score, max_score, then one column per graded function,
    the sandbox, the problems and the diagnosed mistakes' ids."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["submission", "score", "max_score", *GRADED_FUNCTIONS, "sandbox", "problems",
                     "diagnosed_mistakes"])  # diagnosis (issue 16)
    for name, results in rows:
        scores = results.get("extra_data", {}).get("function_scores", {})
        problems = " | ".join(line for line in results.get("output", "").splitlines() if line.strip())
        writer.writerow([name, _number(results["score"]), _number(results["max_score"]),
                         *(_number(scores.get(f, 0.0)) for f in GRADED_FUNCTIONS),
                         results.get("extra_data", {}).get("sandbox", ""), problems,
                         diagnosed_mistakes_cell(results)])  # diagnosis (issue 16)
    return buffer.getvalue()
