"""An isolation mode, and the command line that runs the worker in it.

`Sandbox.command` builds the argv of one child. Two modes (`probe.detect_sandbox`
picks one per grader run):

- "bubblewrap" (strong): the child runs under `bwrap` in new mount, PID, IPC,
  UTS and network namespaces. It sees only /usr, the Python installation
  (read-only), the worker script, the submission's code and the job's inputs
  (read-only), its own output folder and a small empty /tmp. The grader, the
  reference solutions, the rubric and the other submissions are not mounted,
  so they do not exist for it (and should the grader's package or the
  solutions sit inside a mounted folder, an empty folder is mounted over
  them). There is no network. When the PID namespace's first process ends,
  the kernel kills every process left in it.
- "process" (fallback, when bubblewrap is missing or does not work): a plain
  Python process in a new session, in new network and IPC namespaces when
  `unshare` works. The child can read every file that any user can read (the
  reference solutions included, unless the kit's folder is private), so the
  grader says so in every results file and on the terminal. Paths are passed
  relative to the job folder and each child gets a private folder only its
  user may enter, so a child cannot find the grader's work folder or another
  submission's files.

In both modes, when the grader runs as root (`uid_per_child`), the command
drops to the child's own user id from `uids.UidPool` (setpriv: no groups, no
capabilities, no new privileges). Not root, the child keeps the grader's user
(bubblewrap maps it in a new user namespace). The resource limits and the
watchdog are `child.Child`'s.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from autograder.isolation.environment import child_environment, inside, secret_paths

WORKER_SCRIPT = Path(__file__).resolve().parent / "worker.py"
# Size of the child's private /tmp in bubblewrap mode (memory, so small).
SANDBOX_TMP_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Sandbox:
    """One isolation mode as detected on this machine. `warning` (process mode) is told to every student."""

    mode: str  # "bubblewrap" or "process"
    warning: str | None = None
    bwrap: str | None = None
    uid_per_child: bool = False  # root: each child runs under an unprivileged user id of its own (uids.UidPool)
    read_only_paths: tuple[str, ...] = field(default=())
    unshare: str | None = None  # process mode: `unshare` for new network and IPC namespaces

    def hidden_paths(self) -> list[str]:
        """Secret folders inside a mounted folder: an empty folder is mounted over each."""
        mounted = ["/usr", *self.read_only_paths]
        return [s for s in secret_paths() if os.path.isdir(s) and any(inside(s, m) for m in mounted)]

    def _drop(self, uid: int | None) -> list[str]:
        """The setpriv prefix that runs the rest of the command as UID (nothing for None)."""
        if uid is None:
            return []
        # In process mode nothing else kills the child when the grader dies (bubblewrap has
        # --die-with-parent): the parent-death signal, set after the change of user.
        death = ["--pdeathsig=KILL"] if self.mode == "process" else []
        return [
            "/usr/bin/setpriv",
            f"--reuid={uid}",
            f"--regid={uid}",
            "--clear-groups",
            "--no-new-privs",
            "--inh-caps=-all",
            "--bounding-set=-all",
            *death,
            "--",
        ]

    def command(
        self, code_dir: Path, job_dir: Path, out_dir: Path, argument: str = "{}", uid: int | None = None
    ) -> list[str]:
        """The argv that runs the worker on CODE_DIR, JOB_DIR, OUT_DIR in this mode, as user UID.

        In process mode with a UID, the child starts in JOB_DIR and gets the
        folders relative to it (its command line, which any user can read in
        /proc, names no absolute path of the grader's).
        """
        tail = [argument]
        python = [sys.executable, "-I", "-B"]
        if self.mode == "process":
            prefix = [self.unshare, "--net", "--ipc", "--"] if self.unshare else []
            if uid is None:
                return prefix + python + [str(WORKER_SCRIPT), str(code_dir), str(job_dir), str(out_dir)] + tail
            folders = [os.path.relpath(code_dir, job_dir), ".", os.path.relpath(out_dir, job_dir)]
            return prefix + self._drop(uid) + python + [str(WORKER_SCRIPT)] + folders + tail
        argv = [
            self.bwrap,
            "--die-with-parent",
            "--new-session",
            "--unshare-ipc",
            "--unshare-pid",
            "--unshare-net",
            "--unshare-uts",
            "--unshare-cgroup-try",
        ]
        if uid is None:
            argv.append("--unshare-user")
        argv += ["--ro-bind", "/usr", "/usr"]
        for link in ("bin", "lib", "lib64", "sbin"):
            target = Path("/" + link)
            if target.is_symlink():
                argv += ["--symlink", os.readlink(target), "/" + link]
            elif target.is_dir():
                argv += ["--ro-bind", str(target), "/" + link]
        # /tmp first: a Python (or venv) that lives under /tmp is bound on top of it below.
        argv += ["--perms", "1777", "--size", str(SANDBOX_TMP_BYTES), "--tmpfs", "/tmp"]
        made = {"/tmp"}
        for path in self.read_only_paths:
            # bwrap creates missing parent folders with mode 0700, which the
            # unprivileged child could not traverse: create them 0755 first.
            for parent in reversed(Path(path).parents):
                if str(parent) != "/" and str(parent) not in made and not str(parent).startswith("/usr"):
                    made.add(str(parent))
                    argv += ["--perms", "0755", "--dir", str(parent)]
            argv += ["--ro-bind", path, path]
        for secret in self.hidden_paths():
            argv += ["--perms", "0755", "--tmpfs", secret, "--remount-ro", secret]
        argv += [
            "--perms",
            "0755",
            "--dir",
            "/grader",
            "--ro-bind",
            str(WORKER_SCRIPT),
            "/grader/worker.py",
            "--ro-bind",
            str(code_dir),
            "/submission",
            "--ro-bind",
            str(job_dir),
            "/job",
            "--bind",
            str(out_dir),
            "/out",
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            "--chdir",
            "/tmp",
            "--clearenv",
        ]
        for key, value in child_environment().items():
            argv += ["--setenv", key, value]
        argv.append("--")
        return argv + self._drop(uid) + python + ["/grader/worker.py", "/submission", "/job", "/out"] + tail
