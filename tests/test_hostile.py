"""Hostile and broken submissions: the grader survives, scores stay honest, nothing escapes.

Every case of tests/hostile/builders.py is a real submission graded by the
real command line (`autograder grade ... --jobs 2`), many in one batch, with
good submissions between them. For each case the test asserts that

- the grader exited 0, and the batch and this submission took bounded time;
- the submission's score is no higher than it deserves (an upper bound, the
  functions that must score 0) and its other groups are unharmed (functions
  that must keep every correctness point);
- no file appeared outside the allowed folders (the canary files hostile code
  tries to create, the grader's output folder, the submissions' own folders);
- no process it started survived (marked command lines and process names);
- the good submissions' results are the same as when graded alone.

The bubblewrap batch runs every case; the process batch (AUTOGRADER_SANDBOX=
process) runs those that attack the process, the files and the network, and
checks that the fallback says so loudly. The batches run side by side (most
of their time is spent waiting on short time limits). Another test kills the
grader in the middle of a batch and reruns it. Two cases hold the grader to
defects found and fixed here: a zeros forward with a zeros backward earns no
numerical-gradient points (checks/gates.py gate_numerical), and answers worked out at
import earn no vectorization points (the traced calls' inputs are drawn when
each call starts).

Cases that need the grader's per-child user ids (it runs as root, as in CI)
are skipped otherwise, and so is the process batch: without root the fallback
gives student code the grader's own user.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from autograder import paths
from autograder.batch import unique_names
from autograder.isolation.probe import detect_sandbox
from autograder.isolation.sandbox import Sandbox
from autograder.release.stubs import solution_lines

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hostile.builders import CASES, Case, Env, copy_tree_bytes, good  # noqa: E402

# Short limits: a hang costs CALL_SECONDS (then that function is not run again).
CALL_SECONDS = 3
SANDBOX_SECONDS = 60
MEMORY_MB = 2048
PROCESSES = 64
FILE_MB = 64
# One submission never takes longer than every child at its limit, plus slack for a loaded machine.
SUBMISSION_SECONDS = 4 * SANDBOX_SECONDS + 60
BATCH_SECONDS = 480
GRADER_PEAK_MB = 1200  # the grader's own memory, whatever the submissions do

GOOD = ("good_first", "good_middle", "good_last")
# Not root, the grader cannot give children user ids of their own: no memory total across
# processes, and in the process fallback no way to find (or be safe from) what a child leaves
# running. Those cases only run as root.
ROOT = os.geteuid() == 0
BUBBLEWRAP_CASES = [c for c in CASES if "bubblewrap" in c.modes and (ROOT or not c.root_only)]
PROCESS_CASES = [c for c in CASES if "process" in c.modes] if ROOT else []


def autograder_command() -> list[str]:
    script = Path(sys.executable).parent / "autograder"
    return [str(script)] if script.exists() else [sys.executable, "-m", "autograder"]


def short_rubric(path: Path) -> Path:
    """The shipped rubric with short limits and a smaller plan (fewer calls, same checks)."""
    text = (paths.RUBRIC_FILE).read_text(encoding="utf-8")
    for key, value in (
        ("call_seconds", CALL_SECONDS),
        ("submission_seconds", SANDBOX_SECONDS),
        ("memory_mb", MEMORY_MB),
        ("cpu_seconds", 60),
        ("file_mb", FILE_MB),
        # Not root, the count is the grader's user's, already high: the rubric's.
        ("processes", PROCESSES if ROOT else 256),
        ("numerical_directions", 1),
        ("numerical_cases", 1),
    ):
        text, count = re.subn(rf"(?m)^{key} = .*$", f"{key} = {value}", text)
        assert count == 1, key
    path.write_text(text, encoding="utf-8")
    return path


def secrets() -> tuple[list[str], list[str]]:
    """Paths of what students must never see, and strings found only in those files."""
    files = [
        paths.SOLUTION_LAYERS_DIR / "conv.py",
        paths.SOLUTION_LAYERS_DIR / "norm.py",
        paths.RUBRIC_FILE,
        paths.PACKAGE_DIR / "checks" / "cases.py",
        paths.PACKAGE_DIR / "paths.py",
    ]
    markers = []
    for module in ("conv.py", "norm.py"):
        lines = sorted(solution_lines((paths.SOLUTION_LAYERS_DIR / module).read_text(encoding="utf-8")), key=len)
        markers += lines[-3:]
    markers.append("Instructors edit this file, not the code.")  # rubric.toml
    markers.append("CONV_GRID = (")  # cases.py
    return [str(f) for f in files], markers


class Listener:
    """A TCP server on 127.0.0.1 that counts connections (hostile code tries to reach it)."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop.is_set():
            try:
                connection, _ = self.socket.accept()
                self.connections += 1
                connection.close()
            except OSError:
                continue

    def close(self):
        self.stop.set()
        self.thread.join()
        self.socket.close()


def survivors(env: Env) -> list[str]:
    """Live processes that hostile code of ENV started (marked command line or name)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                command = handle.read()
            with open(f"/proc/{pid}/comm", "rb") as handle:
                name = handle.read().strip()
            with open(f"/proc/{pid}/stat", "rb") as handle:
                state = handle.read().rsplit(b")", 1)[1].split()[0]
        except OSError:
            continue
        if state in (b"Z", b"X"):
            continue  # dead, only not yet reaped
        if env.mark.encode() in command or name == env.process_name:
            found.append(f"{pid} {name!r} {command[:120]!r}")
    return found


def peak_memory_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@dataclass
class Batch:
    """One run of `autograder grade` on several submissions, and what it left behind."""

    mode: str
    returncode: int
    elapsed: float
    stdout: str
    stderr: str
    out: Path
    results: dict[str, dict]  # by case (or good submission) name
    peak_mb: float
    survivors: list[str]
    canaries: list[str]  # canary files that exist afterwards
    changed_sources: list[str]  # submissions whose own files changed
    connections: int
    leftovers: list[str]  # files left in the grader's temporary folder or DIR's temporaries
    env: Env = field(repr=False, default=None)


def run_batch(root: Path, cases: list[Case], mode: str, goods=GOOD, jobs: int = 2) -> Batch:
    """Grade GOODS interleaved with CASES in one command line run, in isolation MODE."""
    root.mkdir(parents=True, exist_ok=True)
    out = root / "out"
    listener = Listener()
    secret_paths, markers = secrets()
    env = Env(
        token=uuid.uuid4().hex[:12],
        out_dir=out,
        victim=goods[0],
        secrets=secret_paths,
        markers=markers,
        listener_port=listener.port,
    )
    built: dict[str, Path] = {}
    for name in goods:
        built[name] = good(root / "subs" / name)
    for case in cases:
        built[case.name] = case.make(env, root / "subs" / case.name)
    # Good submissions first, in the middle and last: hostile ones on both sides of each.
    order = (
        [goods[0]]
        + [c.name for c in cases[: len(cases) // 2]]
        + list(goods[1:-1])
        + [c.name for c in cases[len(cases) // 2 :]]
        + list(goods[-1:])
    )
    before = {name: copy_tree_bytes(path if path.is_dir() else path.parent) for name, path in built.items()}
    canaries = sorted({c for name, path in built.items() for c in env.canaries(path if path.is_dir() else path.parent)})
    grader_tmp = root / "grader-tmp"
    grader_tmp.mkdir()
    environment = dict(os.environ, TMPDIR=str(grader_tmp))
    environment.pop("AUTOGRADER_SANDBOX", None)
    if mode == "process":
        environment["AUTOGRADER_SANDBOX"] = "process"
    command = [
        *autograder_command(),
        "grade",
        *[str(built[n]) for n in order],
        "--out",
        str(out),
        "--jobs",
        str(jobs),
        "--rubric",
        str(short_rubric(root / "rubric.toml")),
    ]
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment)
    peak = [0.0]

    def watch():
        while process.poll() is None:
            peak[0] = max(peak[0], peak_memory_mb(process.pid))
            time.sleep(0.2)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        stdout, stderr = process.communicate(timeout=BATCH_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
    elapsed = time.monotonic() - started
    watcher.join()
    listener.close()
    names = dict(zip(order, unique_names([built[n] for n in order])))
    results = {}
    for key, name in names.items():
        try:
            results[key] = json.loads((out / name / "results.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass
    leftovers = [str(p) for p in grader_tmp.rglob("*")] + [str(p) for p in out.rglob("*.tmp")]
    return Batch(
        mode=mode,
        returncode=process.returncode,
        elapsed=elapsed,
        stdout=stdout.decode("utf-8", "replace"),
        stderr=stderr.decode("utf-8", "replace"),
        out=out,
        results=results,
        peak_mb=peak[0],
        survivors=survivors(env),
        canaries=[c for c in canaries if os.path.lexists(c)],
        changed_sources=[n for n, p in built.items() if copy_tree_bytes(p if p.is_dir() else p.parent) != before[n]],
        connections=listener.connections,
        leftovers=leftovers,
        env=env,
    )


def comparable(results: dict) -> dict:
    """Results minus what legitimately varies between runs: the time it took, and the mode's name."""
    copy = json.loads(json.dumps(results))
    copy.pop("execution_time", None)
    copy.pop("output", None)  # the process fallback's warning
    copy["extra_data"].pop("submission", None)
    copy["extra_data"].pop("sandbox", None)
    return copy


# -- the batches ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def batches(tmp_path_factory) -> dict[str, Future]:
    """The three batches, run side by side (most of their time is spent waiting on time limits)."""
    pool = ThreadPoolExecutor(max_workers=3)
    futures = {"alone": pool.submit(run_batch, tmp_path_factory.mktemp("alone"), [], "bubblewrap", GOOD, 1)}
    if ROOT:
        futures["process"] = pool.submit(
            run_batch, tmp_path_factory.mktemp("process"), PROCESS_CASES, "process", GOOD, 1
        )
    if detect_sandbox().mode == "bubblewrap":
        futures["bubblewrap"] = pool.submit(run_batch, tmp_path_factory.mktemp("bwrap"), BUBBLEWRAP_CASES, "bubblewrap")
    yield futures
    pool.shutdown(wait=True)


@pytest.fixture(scope="module")
def alone(batches) -> Batch:
    """The good submissions graded without hostile neighbours."""
    return batches["alone"].result()


@pytest.fixture(scope="module")
def bubblewrap_batch(batches) -> Batch:
    if "bubblewrap" not in batches:
        pytest.skip("bubblewrap is not available here: " + str(detect_sandbox().warning))
    return batches["bubblewrap"].result()


@pytest.fixture(scope="module")
def process_batch(batches) -> Batch:
    if not ROOT:
        pytest.skip(
            "the process fallback without root gives student code the grader's own user: kill(-1) "
            "would end this test run"
        )
    return batches["process"].result()


def check_batch(batch: Batch, alone: Batch) -> None:
    """What must hold for every submission of BATCH (asserted in each case's test)."""
    assert batch.returncode == 0, batch.stderr[-3000:]
    assert batch.elapsed < BATCH_SECONDS
    assert not batch.survivors, "processes of hostile code survived grading"
    assert not batch.canaries, "files appeared outside the allowed folders"
    assert not batch.changed_sources, "a submission's own files changed"
    assert batch.connections == 0, "a submission reached the network"
    assert not batch.leftovers, "temporary files left behind"
    for name in GOOD:
        assert name in batch.results and name in alone.results
        assert comparable(batch.results[name]) == comparable(alone.results[name]), f"{name} changed"
        assert batch.results[name]["score"] == 100, name  # whatever the load: no score reads a clock


def function_tests(results: dict, function: str) -> list[dict]:
    return [t for t in results["tests"] if t["name"].split(":", 1)[0] == function]


def check_case(batch: Batch, case: Case) -> None:
    assert case.name in batch.results, f"{case.name} has no results.json"
    results = batch.results[case.name]
    assert results["max_score"] == 100
    assert 0 <= results["score"] <= results["max_score"]
    assert results["execution_time"] <= SUBMISSION_SECONDS
    if case.max_score is not None:
        assert results["score"] <= case.max_score + 1e-9, f"{case.name} scored {results['score']}"
    for function in case.zero:
        scored = sum(t["score"] for t in function_tests(results, function))
        assert scored == 0, f"{function} got {scored} points"
    for function in case.full:
        failed = [t["name"] for t in function_tests(results, function) if t["status"] != "passed"]
        assert not failed, f"{case.name}: {failed}"
        assert function_tests(results, function)
    text = results["output"] + "\n".join(t["output"] for t in results["tests"])
    expected = case.process_texts if batch.mode == "process" and case.process_texts is not None else case.texts
    for words in expected:
        assert words in text, f"{case.name}: {words!r} not in its results"
    # The grader's own results.json: one entry per test, nothing the submission printed on top.
    assert [t["name"] for t in results["tests"]] == [t["name"] for t in batch.results[GOOD[0]]["tests"]]


# -- the tests -------------------------------------------------------------------------------


@pytest.mark.parametrize("case", BUBBLEWRAP_CASES, ids=lambda c: c.name)
def test_hostile_submission_in_bubblewrap(case: Case, bubblewrap_batch: Batch, alone: Batch):
    check_batch(bubblewrap_batch, alone)
    check_case(bubblewrap_batch, case)


@pytest.mark.parametrize("case", PROCESS_CASES, ids=lambda c: c.name)
def test_hostile_submission_in_process_fallback(case: Case, process_batch: Batch, alone: Batch):
    check_batch(process_batch, alone)
    check_case(process_batch, case)


def test_process_fallback_says_so_loudly(process_batch: Batch):
    assert "WEAK ISOLATION" in process_batch.stderr
    assert "AUTOGRADER_SANDBOX=process" in process_batch.stderr
    for name, results in process_batch.results.items():
        assert "WEAK ISOLATION" in results["output"], name
        assert results["extra_data"]["sandbox"] == "process"


def test_bubblewrap_shows_nothing_secret(bubblewrap_batch: Batch):
    """The probe knew the exact paths and strings of the reference, rubric and hidden cases: nothing."""
    results = bubblewrap_batch.results["search_for_secrets"]
    text = "\n".join(t["output"] for t in results["tests"])
    assert "FOUND:[]" in text and "exists:" not in text and "import:" not in text
    assert "WEAK ISOLATION" not in results["output"]


def test_writes_outside_reach_nothing(bubblewrap_batch: Batch, batches):
    """What the write probe managed to write lies inside its sandbox (bubblewrap) or was removed (process)."""
    checked = [bubblewrap_batch] + ([batches["process"].result()] if "process" in batches else [])
    private = {
        "bubblewrap": ("/tmp/", "/out/"),  # its own tmpfs and output folder
        "process": ("/tmp/", "/var/tmp/", "/dev/shm/"),
    }  # deleted when the child ends
    for batch in checked:
        text = "\n".join(t["output"] for t in batch.results["write_outside"]["tests"])
        wrote = json.loads(re.search(r"WROTE:(\[.*?\])", text).group(1))
        assert all(path.startswith(private[batch.mode]) for path in wrote), wrote
        assert not batch.canaries
        listing = sorted(p.relative_to(batch.out).as_posix() for p in batch.out.rglob("*"))
        assert not [p for p in listing if "HOSTILE" in p or "escape" in p]


def test_grader_memory_stays_small(bubblewrap_batch: Batch):
    assert 0 < bubblewrap_batch.peak_mb < GRADER_PEAK_MB


def test_bubblewrap_mounts_only_what_the_worker_needs(tmp_path):
    sandbox = Sandbox(
        "bubblewrap", bwrap="/usr/bin/bwrap", uid_per_child=True, read_only_paths=("/opt/python", str(paths.REPO_ROOT))
    )
    code, job, out = tmp_path / "code", tmp_path / "job", tmp_path / "out"
    argv = sandbox.command(code, job, out, "{}", uid=65123)
    binds = [(argv[i], argv[i + 1], argv[i + 2]) for i in range(len(argv) - 2) if argv[i] in ("--ro-bind", "--bind")]
    sources = {source for _, source, _ in binds}
    assert sources <= {
        "/usr",
        "/bin",
        "/lib",
        "/lib64",
        "/sbin",
        "/opt/python",
        str(paths.REPO_ROOT),
        str(code),
        str(job),
        str(out),
        str(Path(paths.PACKAGE_DIR) / "isolation" / "worker.py"),
    }
    assert [kind for kind, source, _ in binds if source == str(out)] == ["--bind"]  # the only writable one
    assert all(kind == "--ro-bind" for kind, source, _ in binds if source != str(out))
    # A mounted folder holding the grader's package or the solutions gets an empty folder over them.
    hidden = [argv[i + 1] for i in range(len(argv) - 1) if argv[i] == "--tmpfs"]
    assert str(paths.PACKAGE_DIR) in hidden and str(paths.SOLUTIONS_DIR) in hidden
    for flag in ("--unshare-pid", "--unshare-net", "--unshare-ipc", "--die-with-parent", "--new-session", "--clearenv"):
        assert flag in argv
    assert "--reuid=65123" in argv and "--no-new-privs" in argv and "--bounding-set=-all" in argv


def test_killed_mid_batch_keeps_finished_results_and_rerun_skips_them(tmp_path):
    subs = [good(tmp_path / "subs" / f"student{i}") for i in range(4)]
    out = tmp_path / "out"
    rubric = short_rubric(tmp_path / "rubric.toml")
    command = [*autograder_command(), "grade", *map(str, subs), "--out", str(out), "--rubric", str(rubric)]
    environment = dict(os.environ, TMPDIR=str(tmp_path))
    environment.pop("AUTOGRADER_SANDBOX", None)
    process = subprocess.Popen(
        command + ["--jobs", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=environment
    )
    deadline = time.monotonic() + 180
    while len(list(out.glob("*/results.json"))) < 2 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the batch ended before it could be killed"
    finished = {p.parent.name: p for p in out.glob("*/results.json")}
    assert 2 <= len(finished) < 4
    for path in out.rglob("*"):
        if path.name == "results.json":
            assert json.loads(path.read_text())["score"] == 100
        elif path.name == "feedback.md":
            assert path.read_text().startswith("# Feedback") and path.read_text().endswith("\n")
        else:
            assert path.is_dir() or (path.name.startswith(".") and path.name.endswith(".tmp")), path
    time.sleep(1.0)  # the killed grader's sandboxes die with it (bubblewrap --die-with-parent)
    assert not [p for p in Path("/proc").iterdir() if p.name.isdigit() and _command_has(p, str(tmp_path))]
    stamps = {name: (p.stat().st_ino, p.stat().st_mtime_ns) for name, p in finished.items()}
    rerun = subprocess.run(command + ["--jobs", "2"], capture_output=True, text=True, env=environment, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    for name, path in finished.items():
        assert (path.stat().st_ino, path.stat().st_mtime_ns) == stamps[name], f"{name} was graded again"
    assert sorted(p.parent.name for p in out.glob("*/results.json")) == [f"student{i}" for i in range(4)]
    assert not list(out.rglob("*.tmp"))
    rows = (out / "grades.csv").read_text().splitlines()
    assert [r.split(",")[0] for r in rows[1:5]] == [f"student{i}" for i in range(4)]
    forced = subprocess.run(
        command + ["--jobs", "2", "--force"], capture_output=True, text=True, env=environment, timeout=300
    )
    assert forced.returncode == 0, forced.stderr[-2000:]
    for name, path in finished.items():
        assert path.stat().st_ino != stamps[name][0], f"--force did not grade {name} again"


def _command_has(proc: Path, text: str) -> bool:
    try:
        return text.encode() in (proc / "cmdline").read_bytes()
    except OSError:
        return False


def test_constant_functions_earn_nothing(bubblewrap_batch: Batch):
    assert bubblewrap_batch.results["constant_functions"]["score"] == 0


def test_precomputed_answers_earn_no_vectorization_points(bubblewrap_batch: Batch):
    results = bubblewrap_batch.results["vectorized_precomputed"]
    vectorized = [t for t in results["tests"] if ": vectorized" in t["name"]]
    assert len(vectorized) == 2 and all(t["score"] == 0 for t in vectorized), vectorized
