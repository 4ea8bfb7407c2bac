"""Run `worker.py` on student code in a child process with limits.

Two isolation modes, chosen once per grader run by `detect_sandbox()`:

- "bubblewrap" (strong): the child runs under `bwrap` in new mount, PID, IPC,
  UTS and network namespaces. It sees only /usr, the Python installation
  (read-only), the worker script, the submission's code and the job's inputs
  (read-only), its own output folder and a small empty /tmp. The grader, the
  reference solutions, the rubric and the other submissions are not mounted,
  so they do not exist for it (and should the grader's package or the
  solutions sit inside a mounted folder, an empty folder is mounted over
  them). There is no network. When the PID namespace's first process ends,
  the kernel kills every process left in it.
- "process" (fallback, when bubblewrap is missing or does not work): the same
  resource limits and a new session, in new network and IPC namespaces when
  `unshare` works. The child can read every file that any user can read (the
  reference solutions included, unless the kit's folder is private), so the
  grader says so in every results file and on the terminal. Paths are passed
  relative to the job folder and each child gets a private folder only its
  user may enter, so a child cannot find the grader's work folder or another
  submission's files.

Run as root (as the grader normally is), every child also gets a user id of
its own from a pool (65000 and up, ids with no account), held with a lock file
while the child lives, so that children of one batch, or of two graders on one
machine, cannot signal, trace, read or starve each other, and the process
count limit applies to one child only. When a child ends, every process of
its user id is killed and, in the fallback mode, every file it left in a
world-writable folder (/tmp, /var/tmp, /dev/shm...) is deleted. Not root, the
child keeps the grader's user (bubblewrap maps it in a user namespace).

Limits in both modes (from the rubric): wall-clock seconds per child, address
space per process (RLIMIT_AS), CPU seconds, file size, process count, and no
core files. A watchdog thread also stops a child whose output folder and logs
grow past `output_mb`, or (root only) whose processes together hold more than
`memory_mb` of memory (a fork loop where every process stays under RLIMIT_AS).
"""
from __future__ import annotations

import ctypes
import fcntl
import os
import pwd
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

WORKER_SCRIPT = Path(__file__).resolve().parent / "worker.py"
OUTPUT_TAIL_BYTES = 4000
# User ids given to children when the grader runs as root (Debian reserves
# 65000-65533; ids that have an account are skipped).
UID_BASE = 65000
UID_COUNT = 500
# Size of the child's private /tmp in bubblewrap mode (memory, so small).
SANDBOX_TMP_BYTES = 64 * 1024 * 1024
# Folders every user may write to, where a fallback-mode child may leave files.
WORLD_WRITABLE = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/var/lock", "/dev/mqueue")
WATCH_INTERVAL = 0.1  # seconds between two looks at a running child
MEMORY_INTERVAL = 0.5  # seconds between two sums of its processes' memory
MAX_OUTPUT_ENTRIES = 5000  # files and folders a child may create in its output folder

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
    output_mb: int = 512  # output folder plus stdout and stderr, all files together


@dataclass
class ChildResult:
    """How a child ended. `timed_out` means the grader killed it at its wall-clock limit;
    `stopped` names another limit the watchdog stopped it for ("memory", "output")."""

    returncode: int | None
    timed_out: bool
    elapsed: float
    stdout_tail: str = ""
    stderr_tail: str = ""
    stopped: str = ""
    limits: Limits | None = None

    def describe_end(self) -> str:
        if self.timed_out:
            return "it was stopped after the time limit (an infinite loop, or far too slow)"
        limits = self.limits or Limits()
        if self.stopped == "memory":
            return (f"it was stopped: its processes together used more than {limits.memory_mb} MB of memory "
                    "(a loop starting processes?)")
        if self.stopped == "output":
            return (f"it was stopped: it wrote more than {limits.output_mb} MB (or {MAX_OUTPUT_ENTRIES} files) "
                    "of output")
        code = self.returncode
        # bwrap reports a child killed by signal N as exit code 128 + N.
        if code is not None and 128 < code < 128 + 65 and (code - 128) in signal.valid_signals():
            code = -(code - 128)
        if code is not None and code < 0:
            name = signal.Signals(-code).name if -code in signal.valid_signals() else "?"
            hint = {"SIGKILL": " (often: the memory limit)", "SIGXCPU": " (CPU time limit)",
                    "SIGXFSZ": " (file size limit)", "SIGSEGV": " (a crash)"}.get(name, "")
            return f"the process was killed by {name}{hint}"
        return f"the process exited with code {code} before finishing"


def _secret_paths() -> tuple[str, ...]:
    """What a child must never see: the grader's package (rubric, hidden cases) and the solutions."""
    from autograder import paths

    return tuple(os.path.realpath(p) for p in (paths.PACKAGE_DIR, paths.SOLUTIONS_DIR))


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


@dataclass(frozen=True)
class Sandbox:
    mode: str  # "bubblewrap" or "process"
    warning: str | None = None
    bwrap: str | None = None
    as_nobody: bool = False  # root: children run under their own unprivileged user id
    read_only_paths: tuple[str, ...] = field(default=())
    unshare: str | None = None  # process mode: `unshare` for new network and IPC namespaces

    @property
    def own_users(self) -> bool:
        """Whether each child runs under a user id of its own (the grader is root)."""
        return self.as_nobody

    def hidden_paths(self) -> list[str]:
        """Secret folders inside a mounted folder: an empty folder is mounted over each."""
        mounted = ["/usr", *self.read_only_paths]
        return [s for s in _secret_paths() if os.path.isdir(s) and any(_inside(s, m) for m in mounted)]

    def _drop(self, uid: int | None) -> list[str]:
        if uid is None:
            return []
        # In process mode nothing else kills the child when the grader dies (bubblewrap has
        # --die-with-parent): the parent-death signal, set after the change of user.
        death = ["--pdeathsig=KILL"] if self.mode == "process" else []
        return ["/usr/bin/setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--no-new-privs",
                "--inh-caps=-all", "--bounding-set=-all", *death, "--"]

    def command(self, code_dir: Path, job_dir: Path, out_dir: Path, argument: str = "{}",
                uid: int | None = None) -> list[str]:
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
        argv = [self.bwrap, "--die-with-parent", "--new-session",
                "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
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
        argv += ["--perms", "0755", "--dir", "/grader", "--ro-bind", str(WORKER_SCRIPT), "/grader/worker.py",
                 "--ro-bind", str(code_dir), "/submission",
                 "--ro-bind", str(job_dir), "/job",
                 "--bind", str(out_dir), "/out",
                 "--proc", "/proc", "--dev", "/dev", "--chdir", "/tmp", "--clearenv"]
        for key, value in child_environment().items():
            argv += ["--setenv", key, value]
        argv.append("--")
        return argv + self._drop(uid) + python + ["/grader/worker.py", "/submission", "/job", "/out"] + tail


def _python_paths() -> tuple[str, ...]:
    """Folders the child's Python needs: the installation and, for a venv, the venv."""
    roots = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix)}
    executable = os.path.realpath(sys.executable)
    if not any(executable.startswith(root + os.sep) for root in roots):
        roots.add(os.path.dirname(executable))
    # sys.executable may be a symlink into the venv; keep the unresolved venv path too.
    roots.add(os.path.abspath(sys.prefix))
    return tuple(sorted(r for r in roots if not r.startswith("/usr/") and r != "/usr"))


_WEAK = ("Student code runs as a plain child process that can read every file any user can read, the "
         "reference solutions and the rubric included.")


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
        candidate = Sandbox("bubblewrap", bwrap=shutil.which("bwrap"), as_nobody=root,
                            read_only_paths=_python_paths())
        problem = _probe(candidate)
        if problem is None:
            return candidate
        reason = f"bubblewrap is installed but failed a test run ({problem})"
    return _fallback(root, reason)


def _fallback(root: bool, reason: str) -> Sandbox:
    """The process mode, with the namespaces and user ids that work here."""
    unshare = shutil.which("unshare") if root else None
    candidates = [Sandbox("process", as_nobody=root, unshare=unshare), Sandbox("process", as_nobody=root),
                  Sandbox("process")]
    if root:
        _become_subreaper()  # orphans of student code come back to the grader, which reaps them
    chosen = next((c for c in dict.fromkeys(candidates) if _probe(c) is None), Sandbox("process"))
    notes = []
    if root and not chosen.as_nobody:
        notes.append("Even dropping to an unprivileged user failed, so student code runs AS ROOT.")
    if chosen.unshare is None:
        notes.append("Student code can reach the network.")
    warning = " ".join([f"WEAK ISOLATION: {reason}.", _WEAK, *notes])
    return Sandbox("process", warning=warning, as_nobody=chosen.as_nobody, unshare=chosen.unshare)


def _probe(sandbox: Sandbox) -> str | None:
    """Run an empty plan in `sandbox`; return None when it works, else what went wrong."""
    with tempfile.TemporaryDirectory(prefix="autograder-probe-") as root:
        code, job, out = prepare_dirs(Path(root) / "probe")
        from autograder.checks.plan import write_job  # here: plan imports the rubric, which imports this module

        write_job({}, job, 1.0)
        try:
            result = run_child(sandbox, code, job, out, Limits(seconds=30), '{"start": {}}')
        except Exception as error:  # no setpriv, no free user id...: this candidate does not work
            return f"{type(error).__name__}: {error}"
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
    return dirs[0], dirs[1], dirs[2]


def _limit_resources(limits: Limits) -> None:
    """Runs in the child between fork and exec."""
    mb = 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_mb * mb, limits.memory_mb * mb))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_mb * mb, limits.file_mb * mb))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))


# -- user ids of children (root only) ---------------------------------------------

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
        with self._lock:
            fd = self._held.pop(uid, None)
        if fd is not None:
            os.close(fd)


@lru_cache(maxsize=None)
def _has_account(uid: int) -> bool:
    try:
        pwd.getpwuid(uid)
        return True
    except KeyError:
        return False


UIDS = UidPool()


def _status(pid: str) -> dict[str, str]:
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
        status = _status(entry.name)
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
            _reap_orphans()
            return True
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        _reap_orphans()
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
    kill_user(uid)
    remove_files_of(uid)


_SUBREAPER = False
_RUNNING: set[int] = set()  # pids of children started by this module (never reaped by _reap_orphans)
_RUNNING_LOCK = threading.Lock()


def _become_subreaper() -> None:
    """Orphans of our children are reparented to us (not to an init that may never reap them)."""
    global _SUBREAPER
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        _SUBREAPER = libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        _SUBREAPER = False


def _reap_orphans() -> None:
    """Reap zombie children of this process that are no child we started (orphans given to us)."""
    if not _SUBREAPER:
        return
    me = str(os.getpid())
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        status = _status(entry.name)
        if status.get("PPid") != me or not status.get("State", "").startswith("Z"):
            continue
        ids = status.get("Uid", "").split()
        if not ids or not ids[0].isdigit() or int(ids[0]) not in UIDS.ids:
            continue  # only orphans of student code: never another Popen's child
        pid = int(entry.name)
        with _RUNNING_LOCK:
            ours = pid in _RUNNING
        if not ours:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass


# -- one child ----------------------------------------------------------------------

def _private_root(code: Path, job: Path, out: Path, uid: int) -> Path:
    """Process mode: JOB's parent becomes a folder only UID may enter, holding a copy of CODE."""
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


def _usage(out: Path, logs: list[Path], limit_entries: int) -> tuple[int, int]:
    """(bytes on disk, entries) of OUT's tree and the log files."""
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


class Child:
    """A running worker. Use `finish()` to wait for it (and kill it at its deadline)."""

    def __init__(self, sandbox: Sandbox, code: Path, job: Path, out: Path, limits: Limits, argument: str = "{}"):
        self.sandbox = sandbox
        self.limits = limits
        self.logs = job.parent
        self.out = out
        self.stopped = ""
        self.timed_out = False
        self.uid = UIDS.acquire() if sandbox.own_users else None
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
                code = _private_root(code, job, out, self.uid)
        stdout = open(self.logs / "stdout.txt", "wb")
        stderr = open(self.logs / "stderr.txt", "wb")
        env = child_environment() if sandbox.mode == "process" else {"PATH": "/usr/bin:/bin"}
        self.started = time.monotonic()
        try:
            with _RUNNING_LOCK:  # so that _reap_orphans never takes this child's exit status
                self.process = subprocess.Popen(
                    sandbox.command(code, job, out, argument, self.uid), stdin=subprocess.DEVNULL,
                    stdout=stdout, stderr=stderr, env=env, cwd=str(job), start_new_session=True,
                    preexec_fn=lambda: _limit_resources(limits))
                _RUNNING.add(self.process.pid)
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
            size, entries = _usage(self.out, logs, MAX_OUTPUT_ENTRIES)
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
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.uid is not None:
            kill_user(self.uid)

    def _wait(self, timeout: float) -> None:
        """Wait for the child's exit; woken at once by a pidfd where the kernel has them
        (Popen.wait with a timeout polls with sleeps of up to 50 ms)."""
        import select

        try:
            fd = os.pidfd_open(self.process.pid)
        except (AttributeError, OSError):
            self.process.wait(timeout=timeout)
            return
        try:
            ready, _, _ = select.select([fd], [], [], timeout)
        finally:
            os.close(fd)
        if not ready:
            raise subprocess.TimeoutExpired(self.process.args, timeout)
        self.process.wait(timeout=1.0)

    def finish(self) -> ChildResult:
        try:
            self._wait(max(0.0, self.deadline - time.monotonic()) + 5.0)
        except subprocess.TimeoutExpired:  # the watchdog should have stopped it already
            self.timed_out = True
        self._done.set()
        self._watchdog.join()
        # Whatever the child left behind goes too: its process group, and in
        # bubblewrap mode its PID namespace (gone with its first process); as
        # root, every process and stray file of its user id.
        self.kill()
        self.process.wait()
        with _RUNNING_LOCK:
            _RUNNING.discard(self.process.pid)
        if self.uid is not None:
            clean_up_user(self.uid)
            UIDS.release(self.uid)
            self.uid = None
        return ChildResult(
            returncode=self.process.returncode, timed_out=self.timed_out,
            elapsed=time.monotonic() - self.started,
            stdout_tail=_tail(self.logs / "stdout.txt"), stderr_tail=_tail(self.logs / "stderr.txt"),
            stopped=self.stopped, limits=self.limits)


def _tail(path: Path) -> str:
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        handle.seek(max(0, size - OUTPUT_TAIL_BYTES))
        return handle.read().decode("utf-8", "replace")


def run_child(sandbox: Sandbox, code: Path, job: Path, out: Path, limits: Limits, argument: str) -> ChildResult:
    """Run the worker on a prepared job (ARGUMENT: its resume JSON) and wait for it
    (at most `limits.seconds`)."""
    return Child(sandbox, code, job, out, limits, argument).finish()
