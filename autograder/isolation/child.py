"""One running child: start the worker in a sandbox, watch it, stop it, clean up after it.

`run_child` is the whole life of one child. `Child` starts it (as its own
user id from `uids.UIDS` when the grader is root; with `limits.set_in_child`
between fork and exec), a watchdog thread stops it at its wall-clock deadline
or when its output folder and logs grow past `output_mb` (or
MAX_OUTPUT_ENTRIES files), or (root only) when its processes together hold
more than `memory_mb` of memory (a fork loop where every process stays under
RLIMIT_AS). `Child.finish` waits for it and kills whatever it left running,
and returns a `ChildResult`.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from autograder.isolation.environment import child_environment
from autograder.isolation.folders import private_root, tail, usage
from autograder.isolation.limits import Limits, set_in_child
from autograder.isolation.reaping import start_tracked, untrack
from autograder.isolation.sandbox import Sandbox
from autograder.isolation.uids import UIDS, clean_up_user, kill_user, memory_of
from autograder.isolation.worker import SIGNAL_HINTS

WATCH_INTERVAL = 0.1  # seconds between two looks at a running child
MEMORY_INTERVAL = 0.5  # seconds between two sums of its processes' memory
MAX_OUTPUT_ENTRIES = 5000  # files and folders a child may create in its output folder


@dataclass
class ChildResult:
    """How a child ended. `timed_out` means the grader killed it at its wall-clock limit;
    `stopped` names another limit the watchdog stopped it for ("memory", "output")."""

    returncode: int | None
    timed_out: bool
    stdout_tail: str = ""
    stderr_tail: str = ""
    stopped: str = ""
    limits: Limits | None = None

    def describe_end(self) -> str:
        """How the child ended, in words for the student."""
        if self.timed_out:
            return "it was stopped after the time limit (an infinite loop, or far too slow)"
        limits = self.limits or Limits()
        if self.stopped == "memory":
            return (
                f"it was stopped: its processes together used more than {limits.memory_mb} MB of memory "
                "(a loop starting processes?)"
            )
        if self.stopped == "output":
            return f"it was stopped: it wrote more than {limits.output_mb} MB (or {MAX_OUTPUT_ENTRIES} files) of output"
        code = self.returncode
        # bwrap reports a child killed by signal N as exit code 128 + N.
        if code is not None and 128 < code < 128 + 65 and (code - 128) in signal.valid_signals():
            code = -(code - 128)
        if code is not None and code < 0:
            name = signal.Signals(-code).name if -code in signal.valid_signals() else "?"
            return f"the process was killed by {name}{SIGNAL_HINTS.get(name, '')}"
        return f"the process exited with code {code} before finishing"


def wait_for_exit(process: subprocess.Popen, timeout: float) -> None:
    """Wait up to TIMEOUT seconds for PROCESS to exit (subprocess.TimeoutExpired if it does not);
    woken at once by a pidfd where the kernel has them (Popen.wait with a timeout polls with
    sleeps of up to 50 ms)."""
    try:
        fd = os.pidfd_open(process.pid)
    except (AttributeError, OSError):
        process.wait(timeout=timeout)
        return
    try:
        ready, _, _ = select.select([fd], [], [], timeout)
    finally:
        os.close(fd)
    if not ready:
        raise subprocess.TimeoutExpired(process.args, timeout)
    process.wait(timeout=1.0)


class Child:
    """A running worker. Use `finish()` to wait for it (and kill it at its deadline)."""

    def __init__(self, sandbox: Sandbox, code: Path, job: Path, out: Path, limits: Limits, argument: str = "{}"):
        self.sandbox = sandbox
        self.limits = limits
        self.logs = job.parent
        self.out = out
        self.stopped = ""
        self.timed_out = False
        self.uid = UIDS.acquire() if sandbox.uid_per_child else None
        try:
            self._start(sandbox, code, job, out, limits, argument)
        except BaseException:
            if self.uid is not None:
                clean_up_user(self.uid)
                UIDS.release(self.uid)
            raise
        self._done = threading.Event()
        self._watchdog = threading.Thread(target=self._watch, name="sandbox-watchdog", daemon=True)
        self._watchdog.start()

    def _start(self, sandbox: Sandbox, code: Path, job: Path, out: Path, limits: Limits, argument: str) -> None:
        if self.uid is not None:
            os.chown(out, self.uid, self.uid)
            out.chmod(0o755)
            if sandbox.mode == "process":
                code = private_root(code, job, self.uid)
        stdout = open(self.logs / "stdout.txt", "wb")
        stderr = open(self.logs / "stderr.txt", "wb")
        env = child_environment() if sandbox.mode == "process" else {"PATH": "/usr/bin:/bin"}
        self.started = time.monotonic()
        try:
            self.process = start_tracked(
                lambda: subprocess.Popen(
                    sandbox.command(code, job, out, argument, self.uid),
                    stdin=subprocess.DEVNULL,
                    stdout=stdout,
                    stderr=stderr,
                    env=env,
                    cwd=str(job),
                    start_new_session=True,
                    preexec_fn=lambda: set_in_child(limits),
                )
            )
        finally:
            stdout.close()
            stderr.close()

    @property
    def deadline(self) -> float:
        return self.started + self.limits.seconds

    def _watch(self) -> None:
        """Stop the child at its deadline, or when its output or memory grows past the limits."""
        logs = [self.logs / "stdout.txt", self.logs / "stderr.txt"]
        next_memory = time.monotonic()
        while not self._done.wait(min(WATCH_INTERVAL, max(0.0, self.deadline - time.monotonic()))):
            if self.process.poll() is not None:
                return
            now = time.monotonic()
            if now >= self.deadline:
                self.timed_out = True
                break
            size, entries = usage(self.out, logs, MAX_OUTPUT_ENTRIES)
            if size > self.limits.output_mb * 1024 * 1024 or entries > MAX_OUTPUT_ENTRIES:
                self.stopped = "output"
                break
            if self.uid is not None and now >= next_memory:
                next_memory = now + MEMORY_INTERVAL
                if memory_of(self.uid) > self.limits.memory_mb * 1024 * 1024:
                    self.stopped = "memory"
                    break
        else:
            return
        self.kill()

    def kill(self) -> None:
        """SIGKILL the child's process group and, as root, every process of its user id."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.uid is not None:
            kill_user(self.uid)

    def finish(self) -> ChildResult:
        """Wait for the child (until a little after its deadline), clean up after it, say how it ended."""
        try:
            wait_for_exit(self.process, max(0.0, self.deadline - time.monotonic()) + 5.0)
        except subprocess.TimeoutExpired:  # the watchdog should have stopped it already
            self.timed_out = True
        self._done.set()
        self._watchdog.join()
        # Whatever the child left behind goes too: its process group, and in
        # bubblewrap mode its PID namespace (gone with its first process); as
        # root, every process and stray file of its user id.
        self.kill()
        self.process.wait()
        untrack(self.process.pid)
        if self.uid is not None:
            clean_up_user(self.uid)
            UIDS.release(self.uid)
            self.uid = None
        return ChildResult(
            returncode=self.process.returncode,
            timed_out=self.timed_out,
            stdout_tail=tail(self.logs / "stdout.txt"),
            stderr_tail=tail(self.logs / "stderr.txt"),
            stopped=self.stopped,
            limits=self.limits,
        )


def run_child(sandbox: Sandbox, code: Path, job: Path, out: Path, limits: Limits, argument: str) -> ChildResult:
    """Run the worker on a prepared job (ARGUMENT: its resume JSON) and wait for it
    (at most `limits.seconds`)."""
    return Child(sandbox, code, job, out, limits, argument).finish()
