"""Reaping the orphans of student code (the grader as child subreaper).

In process mode as root, a process that student code starts and abandons is
reparented to the grader (`become_subreaper`), not to an init that may never
reap it; `reap_orphans` then reaps those zombies. It must never take the exit
status of a child the grader started itself and still waits for: children
are started with `start_tracked` and forgotten with `untrack`.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import threading
from collections.abc import Callable, Container

_SUBREAPER = False
_RUNNING: set[int] = set()  # pids of children started with start_tracked (never reaped by reap_orphans)
_RUNNING_LOCK = threading.Lock()


def proc_status(pid: str) -> dict[str, str]:
    """The fields of /proc/PID/status ("Uid", "PPid", "State", ...), or {} when the process is gone."""
    try:
        with open(f"/proc/{pid}/status", "rb") as handle:
            text = handle.read().decode("ascii", "replace")
    except OSError:
        return {}
    fields = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def become_subreaper() -> None:
    """Orphans of our children are reparented to us (not to an init that may never reap them)."""
    global _SUBREAPER
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        _SUBREAPER = libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        _SUBREAPER = False


def reap_orphans(student_uids: Container[int]) -> None:
    """Reap zombie children of this process whose user id is one of STUDENT_UIDS and that
    no `start_tracked` started (orphans given to us)."""
    if not _SUBREAPER:
        return
    me = str(os.getpid())
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        status = proc_status(entry.name)
        if status.get("PPid") != me or not status.get("State", "").startswith("Z"):
            continue
        ids = status.get("Uid", "").split()
        if not ids or not ids[0].isdigit() or int(ids[0]) not in student_uids:
            continue  # only orphans of student code: never another Popen's child
        pid = int(entry.name)
        with _RUNNING_LOCK:
            ours = pid in _RUNNING
        if not ours:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass


def start_tracked(start: Callable[[], subprocess.Popen]) -> subprocess.Popen:
    """START() a child and remember its pid, under the lock, so that reap_orphans never takes its exit status."""
    with _RUNNING_LOCK:
        process = start()
        _RUNNING.add(process.pid)
    return process


def untrack(pid: int) -> None:
    """Forget a child of start_tracked once it has been waited for."""
    with _RUNNING_LOCK:
        _RUNNING.discard(pid)
