"""User ids of children (when the grader runs as root), and cleaning up after one.

Every child gets a user id of its own from a pool (65000 and up, ids with no
account), held with a lock file while the child lives, so that children of
one batch, or of two graders on one machine, cannot signal, trace, read or
starve each other, and the process count limit applies to one child only.
When a child ends, every process of its user id is killed and every file it
left at the top of a world-writable folder (/tmp, /var/tmp, /dev/shm...) is
deleted (`clean_up_user`).
"""

from __future__ import annotations

import fcntl
import os
import pwd
import shutil
import signal
import threading
import time
from functools import cache
from pathlib import Path

from autograder.isolation.reaping import proc_status, reap_orphans

# User ids given to children when the grader runs as root (Debian reserves
# 65000-65533; ids that have an account are skipped).
UID_BASE = 65000
UID_COUNT = 500
# Folders every user may write to, where a fallback-mode child may leave files.
WORLD_WRITABLE = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/var/lock", "/dev/mqueue")


def _lock_folder() -> Path:
    """A root-owned folder for the pool's lock files, shared by every grader on this machine
    (fixed places, never $TMPDIR, which two graders may set differently)."""
    for base in ("/run", "/var/lock", "/tmp"):
        folder = Path(base) / "autograder-uids"
        try:
            folder.mkdir(mode=0o700, exist_ok=True)
            info = folder.lstat()
        except OSError:
            continue
        if folder.is_dir() and not folder.is_symlink() and info.st_uid == os.geteuid() and info.st_mode & 0o022 == 0:
            return folder
    raise RuntimeError("no safe folder for the sandbox's user id locks")


class UidPool:
    """User ids for children: each held by this process (lock file) while its child lives."""

    def __init__(self, base: int = UID_BASE, count: int = UID_COUNT):
        self.ids = range(base, base + count)
        self._lock = threading.Lock()
        self._held: dict[int, int] = {}

    def acquire(self) -> int:
        """A free user id, locked for this process, with whatever a dead grader left under it cleaned up."""
        with self._lock:
            folder = _lock_folder()
            for uid in self.ids:
                if uid in self._held or _has_account(uid):
                    continue
                fd = os.open(folder / str(uid), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    os.close(fd)
                    continue
                self._held[uid] = fd
                break
            else:
                raise RuntimeError("every sandbox user id is in use")
        # Whatever a dead grader left under this id goes first.
        clean_up_user(uid)
        return uid

    def release(self, uid: int) -> None:
        """Give UID back to the pool (unlock it)."""
        with self._lock:
            fd = self._held.pop(uid, None)
        if fd is not None:
            os.close(fd)


@cache
def _has_account(uid: int) -> bool:
    try:
        pwd.getpwuid(uid)
        return True
    except KeyError:
        return False


UIDS = UidPool()


def processes_of(uid: int) -> list[int]:
    """Live (not zombie) processes whose real or effective user id is UID."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            owner = entry.stat(follow_symlinks=False).st_uid
        except OSError:
            continue
        if owner not in (uid, 0):  # a process that made itself non-dumpable shows as root's
            continue
        status = proc_status(entry.name)
        ids = status.get("Uid", "").split()
        if len(ids) >= 2 and str(uid) in ids[:2] and not status.get("State", "").startswith(("Z", "X")):
            found.append(int(entry.name))
    return found


def memory_of(uid: int) -> int:
    """Bytes of memory (proportional set size) held by the processes of UID."""
    total = 0
    for pid in processes_of(uid):
        try:
            with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
                for line in handle:
                    if line.startswith(b"Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
        except (OSError, ValueError, IndexError):
            continue
    return total


def kill_user(uid: int, rounds: int = 200) -> bool:
    """SIGKILL every process of UID, again until none is left (a fork loop refills); True when none is."""
    for _ in range(rounds):
        pids = processes_of(uid)
        if not pids:
            reap_orphans(UIDS.ids)
            return True
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        reap_orphans(UIDS.ids)
        time.sleep(0.005)
    return not processes_of(uid)


def remove_files_of(uid: int) -> list[str]:
    """Delete what UID left at the top of the world-writable folders; return the paths."""
    removed = []
    for folder in WORLD_WRITABLE:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid != uid:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
                removed.append(entry.path)
            except OSError:
                continue
    return removed


def clean_up_user(uid: int) -> None:
    """Kill every process of UID and delete the files it left in world-writable folders."""
    kill_user(uid)
    remove_files_of(uid)
