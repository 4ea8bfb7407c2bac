"""Run `worker.py` on student code in a child process with limits.

Two isolation modes, chosen once per grader run by `detect_sandbox()`:

- "bubblewrap" (strong): the child runs under `bwrap` in new mount, PID, IPC,
  UTS and network namespaces. It sees only /usr, the Python installation
  (read-only), the worker script, the submission's code and the job's inputs
  (read-only), its own output folder and an empty /tmp. The grader, the
  reference solutions, the rubric and the other submissions are not mounted,
  so they do not exist for it. There is no network. When the PID namespace's
  first process ends, the kernel kills every process left in it. Run as root,
  the grader also drops the child to the unprivileged user `nobody` (setpriv),
  so the process-count limit applies.
- "process" (fallback, when bubblewrap is missing or does not work): the same
  resource limits and a new session whose process group is killed at the end,
  but the child can read any file the grader's user can. The grader says so in
  every results file and on the terminal.

Limits in both modes (from the rubric): wall-clock seconds per child, address
space (RLIMIT_AS), CPU seconds, file size, process count, and no core files.
"""
from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

WORKER_SCRIPT = Path(__file__).resolve().parent / "worker.py"
NOBODY = 65534
OUTPUT_TAIL_BYTES = 4000

# Environment of the child: nothing of the grader's, one BLAS thread (fair
# timing, and --jobs N uses N cores), and the OpenBLAS settings this machine
# may need for correct results.
_PASSED_THROUGH = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "LANG", "LC_ALL")


def child_environment() -> dict[str, str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": "/tmp",
        "TMPDIR": "/tmp",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
    }
    env.update({k: os.environ[k] for k in _PASSED_THROUGH if k in os.environ})
    return env


@dataclass(frozen=True)
class Limits:
    """Resource limits of one child process."""

    seconds: float = 30.0
    memory_mb: int = 4096
    cpu_seconds: int = 120
    file_mb: int = 256
    processes: int = 256


@dataclass
class ChildResult:
    """How a child ended. `timed_out` means the grader killed it at its wall-clock limit."""

    returncode: int | None
    timed_out: bool
    elapsed: float
    stdout_tail: str = ""
    stderr_tail: str = ""

    def describe_end(self) -> str:
        if self.timed_out:
            return "it was stopped after the time limit (an infinite loop, or far too slow)"
        if self.returncode is not None and self.returncode < 0:
            name = signal.Signals(-self.returncode).name if -self.returncode in signal.valid_signals() else "?"
            hint = {"SIGKILL": " (often: the memory limit)", "SIGXCPU": " (CPU time limit)",
                    "SIGXFSZ": " (file size limit)", "SIGSEGV": " (a crash)"}.get(name, "")
            return f"the process was killed by {name}{hint}"
        return f"the process exited with code {self.returncode} before finishing"


@dataclass(frozen=True)
class Sandbox:
    mode: str  # "bubblewrap" or "process"
    warning: str | None = None
    bwrap: str | None = None
    as_nobody: bool = False
    read_only_paths: tuple[str, ...] = field(default=())

    def command(self, code_dir: Path, job_dir: Path, out_dir: Path, control: tuple[int, int] | None) -> list[str]:
        """The argv that runs the worker on CODE_DIR, JOB_DIR, OUT_DIR in this mode."""
        tail = [str(fd) for fd in control] if control else []
        python = [sys.executable, "-I", "-B"]
        if self.mode == "process":
            return python + [str(WORKER_SCRIPT), str(code_dir), str(job_dir), str(out_dir)] + tail
        argv = [self.bwrap, "--die-with-parent", "--new-session",
                "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
        if not self.as_nobody:
            argv.append("--unshare-user")
        argv += ["--ro-bind", "/usr", "/usr"]
        for link in ("bin", "lib", "lib64", "sbin"):
            target = Path("/" + link)
            if target.is_symlink():
                argv += ["--symlink", os.readlink(target), "/" + link]
            elif target.is_dir():
                argv += ["--ro-bind", str(target), "/" + link]
        made = set()
        for path in self.read_only_paths:
            # bwrap creates missing parent folders with mode 0700, which the
            # unprivileged child could not traverse: create them 0755 first.
            for parent in reversed(Path(path).parents):
                if str(parent) != "/" and str(parent) not in made and not str(parent).startswith("/usr"):
                    made.add(str(parent))
                    argv += ["--perms", "0755", "--dir", str(parent)]
            argv += ["--ro-bind", path, path]
        argv += ["--perms", "0755", "--dir", "/grader", "--ro-bind", str(WORKER_SCRIPT), "/grader/worker.py",
                 "--ro-bind", str(code_dir), "/submission",
                 "--ro-bind", str(job_dir), "/job",
                 "--bind", str(out_dir), "/out",
                 "--tmpfs", "/tmp", "--proc", "/proc", "--dev", "/dev", "--chdir", "/tmp", "--clearenv"]
        for key, value in child_environment().items():
            argv += ["--setenv", key, value]
        argv.append("--")
        if self.as_nobody:
            argv += ["/usr/bin/setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                     "--no-new-privs", "--"]
        return argv + python + ["/grader/worker.py", "/submission", "/job", "/out"] + tail


def _python_paths() -> tuple[str, ...]:
    """Folders the child's Python needs: the installation and, for a venv, the venv."""
    roots = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix)}
    executable = os.path.realpath(sys.executable)
    if not any(executable.startswith(root + os.sep) for root in roots):
        roots.add(os.path.dirname(executable))
    # sys.executable may be a symlink into the venv; keep the unresolved venv path too.
    roots.add(os.path.abspath(sys.prefix))
    return tuple(sorted(r for r in roots if not r.startswith("/usr/") and r != "/usr"))


@lru_cache(maxsize=1)
def detect_sandbox() -> Sandbox:
    """Pick the strongest mode that works here, checking it with a real run."""
    if os.environ.get("AUTOGRADER_SANDBOX") == "process":
        return Sandbox("process", warning="WEAK ISOLATION: bubblewrap disabled by AUTOGRADER_SANDBOX=process; "
                                          "student code can read every file the grader can.")
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return Sandbox("process", warning="WEAK ISOLATION: bubblewrap (bwrap) is not installed, so student code "
                                          "runs as a plain child process that can read every file the grader "
                                          "can, the reference solutions included. Install it: "
                                          "`apt-get install bubblewrap`.")
    candidate = Sandbox("bubblewrap", bwrap=bwrap, as_nobody=os.geteuid() == 0,
                        read_only_paths=_python_paths())
    problem = _probe(candidate)
    if problem is None:
        return candidate
    return Sandbox("process", warning=f"WEAK ISOLATION: bubblewrap is installed but failed a test run ({problem}); "
                                      "student code runs as a plain child process that can read every file the "
                                      "grader can.")


def _probe(sandbox: Sandbox) -> str | None:
    """Run an empty plan in `sandbox`; return None when it works, else what went wrong."""
    with tempfile.TemporaryDirectory(prefix="autograder-probe-") as root:
        code, job, out = prepare_dirs(Path(root))
        (job / "plan.json").write_text("[]")
        result = run_child(sandbox, code, job, out, Limits(seconds=30))
        if result.returncode != 0:
            return (result.stderr_tail.strip().splitlines() or [f"exit code {result.returncode}"])[-1]
    return None


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
    (root / "job" / "arrays").mkdir(exist_ok=True)
    out = dirs[2]
    if os.geteuid() == 0:
        os.chown(out, NOBODY, NOBODY)
    return dirs[0], dirs[1], out


def _limit_resources(limits: Limits) -> None:
    """Runs in the child between fork and exec."""
    mb = 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_mb * mb, limits.memory_mb * mb))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_mb * mb, limits.file_mb * mb))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))


class Child:
    """A running worker. Use `finish()` to wait for it (and kill it at its deadline)."""

    def __init__(self, sandbox: Sandbox, code: Path, job: Path, out: Path, limits: Limits, timed: bool = False):
        self.limits = limits
        self.logs = job.parent
        self.started = time.monotonic()
        self.control = None
        pass_fds: tuple[int, ...] = ()
        child_fds = None
        if timed:
            go_read, go_write = os.pipe()  # grader -> child
            ready_read, ready_write = os.pipe()  # child -> grader
            child_fds = (go_read, ready_write)
            pass_fds = child_fds
            self.control = (go_write, ready_read)
        stdout = open(self.logs / "stdout.txt", "wb")
        stderr = open(self.logs / "stderr.txt", "wb")
        env = child_environment() if sandbox.mode == "process" else {"PATH": "/usr/bin:/bin"}
        try:
            self.process = subprocess.Popen(
                sandbox.command(code, job, out, child_fds), stdin=subprocess.DEVNULL, stdout=stdout,
                stderr=stderr, env=env, cwd=str(job), start_new_session=True, pass_fds=pass_fds,
                preexec_fn=lambda: _limit_resources(limits))
        finally:
            stdout.close()
            stderr.close()
            if child_fds:
                for fd in child_fds:
                    os.close(fd)

    @property
    def deadline(self) -> float:
        return self.started + self.limits.seconds

    def read_signal(self) -> bytes:
        """Wait for one control byte from the child; b"" when it died or the deadline passed."""
        import select

        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            return b""
        ready, _, _ = select.select([self.control[1]], [], [], remaining)
        return os.read(self.control[1], 1) if ready else b""

    def send(self, byte: bytes) -> None:
        """b"G": run the timed call; b"S": skip it."""
        try:
            os.write(self.control[0], byte)
        except OSError:  # the child is gone; read_signal will say so
            pass

    def kill(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def finish(self) -> ChildResult:
        timed_out = False
        try:
            self.process.wait(timeout=max(0.0, self.deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            timed_out = True
        # Whatever the child left behind in its process group goes too (in
        # bubblewrap mode the PID namespace has already taken it down).
        self.kill()
        self.process.wait()
        if self.control:
            for fd in self.control:
                os.close(fd)
            self.control = None
        return ChildResult(
            returncode=self.process.returncode, timed_out=timed_out,
            elapsed=time.monotonic() - self.started,
            stdout_tail=_tail(self.logs / "stdout.txt"), stderr_tail=_tail(self.logs / "stderr.txt"))


def _tail(path: Path) -> str:
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        handle.seek(max(0, size - OUTPUT_TAIL_BYTES))
        return handle.read().decode("utf-8", "replace")


def run_child(sandbox: Sandbox, code: Path, job: Path, out: Path, limits: Limits) -> ChildResult:
    """Run the worker on a prepared job and wait for it (at most `limits.seconds`)."""
    return Child(sandbox, code, job, out, limits).finish()
