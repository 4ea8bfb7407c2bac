"""Choosing the isolation mode: the strongest one that works on this machine, checked with a real run.

`detect_sandbox` (once per grader process) tries bubblewrap, then the process
mode with fewer and fewer features (new namespaces with `unshare`, a user id
per child), and says in the returned Sandbox's `warning` what the fallback
costs. Each candidate must run the worker on an empty job (`_probe`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

from autograder.isolation.child import run_child
from autograder.isolation.environment import python_paths
from autograder.isolation.folders import prepare_dirs
from autograder.isolation.job import write_job
from autograder.isolation.limits import Limits
from autograder.isolation.reaping import become_subreaper
from autograder.isolation.sandbox import Sandbox

_WEAK = (
    "Student code runs as a plain child process that can read every file any user can read, the "
    "reference solutions and the rubric included."
)


@lru_cache(maxsize=1)
def detect_sandbox() -> Sandbox:
    """Pick the strongest mode that works here, checking it with a real run."""
    root = os.geteuid() == 0
    problem = None
    if os.environ.get("AUTOGRADER_SANDBOX") == "process":
        reason = "bubblewrap disabled by AUTOGRADER_SANDBOX=process"
    elif shutil.which("bwrap") is None:
        reason = "bubblewrap (bwrap) is not installed; install it: `apt-get install bubblewrap`"
    else:
        candidate = Sandbox(
            "bubblewrap", bwrap=shutil.which("bwrap"), uid_per_child=root, read_only_paths=python_paths()
        )
        problem = _probe(candidate)
        if problem is None:
            return candidate
        reason = f"bubblewrap is installed but failed a test run ({problem})"
    return _fallback(root, reason)


def _fallback(root: bool, reason: str) -> Sandbox:
    """The process mode, with the namespaces and user ids that work here, and its warning (REASON first)."""
    unshare = shutil.which("unshare") if root else None
    candidates = [
        Sandbox("process", uid_per_child=root, unshare=unshare),
        Sandbox("process", uid_per_child=root),
        Sandbox("process"),
    ]
    if root:
        become_subreaper()  # orphans of student code come back to the grader, which reaps them
    chosen = next((c for c in dict.fromkeys(candidates) if _probe(c) is None), Sandbox("process"))
    notes = []
    if root and not chosen.uid_per_child:
        notes.append("Even dropping to an unprivileged user failed, so student code runs AS ROOT.")
    if chosen.unshare is None:
        notes.append("Student code can reach the network.")
    warning = " ".join([f"WEAK ISOLATION: {reason}.", _WEAK, *notes])
    return Sandbox("process", warning=warning, uid_per_child=chosen.uid_per_child, unshare=chosen.unshare)


def _probe(sandbox: Sandbox) -> str | None:
    """Run an empty plan in `sandbox`; return None when it works, else what went wrong."""
    with tempfile.TemporaryDirectory(prefix="autograder-probe-") as root:
        code, job, out = prepare_dirs(Path(root) / "probe")
        write_job({}, job, 1.0)
        try:
            result = run_child(sandbox, code, job, out, Limits(seconds=30), '{"start": {}}')
        except Exception as error:  # no setpriv, no free user id...: this candidate does not work
            return f"{type(error).__name__}: {error}"
        if result.returncode != 0:
            return (result.stderr_tail.strip().splitlines() or [f"exit code {result.returncode}"])[-1]
    return None
