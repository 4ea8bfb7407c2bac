"""Write report files atomically: results.json and feedback.md of a submission, and any other.

Every file is written to a temporary name in the same folder and renamed into
place, so a grader killed halfway never leaves a half-written file. The one
atomic writer of the kit: grades.csv, the summary, the shard manifest and the
Gradescope bundle are written with it too.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from autograder.reports.feedback import feedback_markdown

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
    """Write TEXT to PATH atomically (see `write_bytes_atomic`), every string made writable first."""
    write_bytes_atomic(path, clean_text(text).encode("utf-8", errors="replace"))


def write_bytes_atomic(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write PATH so that it is either absent, or the old content, or DATA in full.

    The data goes to a hidden temporary file in the same folder, which is
    flushed to disk and then renamed over PATH (a rename within a folder is
    atomic). A grader killed before the rename leaves at most that hidden
    temporary file, which `remove_stale_temporaries` deletes on the next run.
    MODE: the file's permissions (None: as an ordinary new file, by the umask).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMPORARY_SUFFIX)
    try:
        if mode is None:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask  # as an ordinary file would be, not mkstemp's 0600
        os.fchmod(handle, mode)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
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


def write_submission(out_dir: Path, name: str, results: dict) -> None:
    folder = out_dir / name
    results = clean_text(results)
    remove_stale_temporaries(folder)
    write_atomic(folder / "feedback.md", feedback_markdown(results))
    # results.json last: its presence marks the submission as graded.
    write_atomic(folder / "results.json", json.dumps(results, indent=2) + "\n")
