"""The folders of one child: creating them, the process mode's private folder,
measuring what the child wrote, and reading the end of its logs.

A child's ROOT holds `code/` (the submission's modules beside the grader's
given ones), `job/` (the plan and its inputs, read-only for the child),
`out/` (the only place it may write: its record streams) and the logs
`stdout.txt` and `stderr.txt` beside them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

OUTPUT_TAIL_BYTES = 4000  # how much of the end of each log a ChildResult keeps


def prepare_dirs(root: Path) -> tuple[Path, Path, Path]:
    """Create ROOT/code, ROOT/job, ROOT/out readable (and out writable) by the child."""
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)
    dirs = []
    for name in ("code", "job", "out"):
        path = root / name
        path.mkdir(exist_ok=True)
        path.chmod(0o755)
        dirs.append(path)
    return dirs[0], dirs[1], dirs[2]


def private_root(code: Path, job: Path, uid: int) -> Path:
    """Process mode: JOB's parent becomes a folder only UID may enter, holding a root-owned
    copy of CODE; returns the copy."""
    private = job.parent
    copy = private / "code"
    if copy.resolve() != code.resolve():
        if copy.exists():
            shutil.rmtree(copy)
        shutil.copytree(code, copy, symlinks=False)
    for path in [copy, *copy.rglob("*")]:
        os.chown(path, 0, 0, follow_symlinks=False)
        path.chmod(0o755 if path.is_dir() else 0o644)
    os.chown(private, 0, uid)
    private.chmod(0o710)
    return copy


def usage(out: Path, logs: list[Path], limit_entries: int) -> tuple[int, int]:
    """(bytes on disk, entries) of OUT's tree and the log files; counting stops past LIMIT_ENTRIES entries."""
    size, entries = 0, 0
    stack = [str(out)]
    while stack and entries <= limit_entries:
        try:
            iterator = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in iterator:
            entries += 1
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            size += info.st_blocks * 512
            if entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)
    for log in logs:
        try:
            size += log.stat().st_blocks * 512
        except OSError:
            pass
    return size, entries


def tail(path: Path) -> str:
    """The last OUTPUT_TAIL_BYTES of the file at PATH, decoded (bad bytes replaced)."""
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        handle.seek(max(0, size - OUTPUT_TAIL_BYTES))
        return handle.read().decode("utf-8", "replace")
