"""The child side of grading: run plans of calls into student code, write records.

This file runs inside the sandbox, as a script, once per submission:

    python -I -B worker.py CODE_DIR JOB_DIR OUT_DIR RESUME_JSON

It imports only the standard library, numpy and the grader's trusted copy of
the given module `layers/vectorization.py` (in CODE_DIR), because nothing
else of the grader is visible in the sandbox. It is a small fork server: the
process imports numpy once, then forks one *runner* per group of calls (at
most `parallel` at a time). A runner imports the student's module and runs
its group's calls in order. When a runner dies, exits or hangs on a call,
this process writes a "crashed" record for that call and forks a fresh
runner for the rest of the group, so one bad call costs only itself (and the
calls that need its result).

Nothing written here is trusted: student code runs in the same processes.
The grader validates every byte it reads back and does every comparison in
its own process.

JOB_DIR/plan.json: {"groups": {GROUP: [CALL, ...]}, "arrays": {NAME: [OFFSET, SHAPE]},
"call_seconds": S}; JOB_DIR/arrays.bin holds the float64 inputs (OFFSET in
elements). A call:

    {"id": "c3_bwd0", "module": "conv", "func": "conv_backward_naive",
     "args": [{"array": "c3_dout"}, {"cache": "c3_fwd"}], "returns": 3,
     "keep_cache": false, "traced": false}

An argument is {"array": NAME} (a fresh copy of GROUP:NAME per call),
{"value": JSON} (a fresh copy per call), {"cache": ID} (a deep copy of the
cache returned by call ID; a fresh runner re-runs that call to get it back)
or {"dict": NAME, "init": {...}, "set": {...}} (a dict that persists across
the group's calls, created from "init" on first use; "set" updates keys
before the call). A "traced" call runs under `vectorization.LineCounter`;
its arguments are {"generate": SPEC} (x, w, b, conv_param drawn by
`vectorization.conv_case` from a seed chosen now, recorded as "seed") or
{"generated": ID} (the dout drawn with call ID's inputs).

RESUME_JSON: {"start": {GROUP: INDEX}, "parallel": P, "skip": {GROUP: [FUNC]}}:
the groups to run, from which call on, and functions not to run again.

Output: OUT_DIR/*.rec, streams of entries, each a JSON line followed by the
raw bytes of its arrays: {"group": G, "start": ID} before a call and
{"group": G, "id": ID, "record": {...}, "arrays": [[DTYPE, SHAPE], ...]} after
it. A record refers to its arrays as "ID#K". The grader reads them back
with `autograder/isolation/records.py`.

The names both sides of that protocol share (file names, statuses, array
kinds and size) are defined here, in the "protocol" block below, and the
grader imports them from this module (`autograder.isolation.worker`: it
needs only the standard library and numpy). They are not in a module of
their own because this file runs alone in the sandbox, as
`python -I -B /grader/worker.py`: it is the only file of the grader bound
into it (tests/test_hostile.py checks the mounts), and with -I its folder is
not on sys.path, so a second module would need one more mount and an import
by file path, the same in both modes.
"""

import copy
import importlib
import json
import os
import select
import signal
import sys
import threading
import time
import traceback

import numpy as np

# -- the protocol (shared with the grader, which imports these names from here) -----------
# The job folder, written by isolation/job.py write_job.
PLAN_FILE = "plan.json"
ARRAYS_FILE = "arrays.bin"
JOB_FILES = (PLAN_FILE, ARRAYS_FILE)
# The output folder: record streams, one per runner and one of the server's
# per attempt, and the file the server writes when every runner has finished.
RECORD_SUFFIX = ".rec"
SERVER_PREFIX = "server."
SERVER_STREAM = SERVER_PREFIX + "%d" + RECORD_SUFFIX  # % attempt
RUNNER_STREAM = "%s.%d.%d" + RECORD_SUFFIX  # % (group, attempt, serial)
SERVER_DONE = SERVER_PREFIX + "done"
# Every record's "status".
STATUSES = ("ok", "error", "skipped", "bad_return", "crashed")
# Largest array the worker returns (the grader reads at most as much).
MAX_ARRAY_BYTES = 64 * 1024 * 1024
# Dtypes worth returning: booleans and numbers (the grader wants float64; it
# says so for the others). Never objects, strings, records or dates.
SAVED_KINDS = "biufc"
# A runner tells the server on a pipe where it is: one of these bytes and the
# call's index in PROGRESS_DIGITS digits, before a call starts and after it is done.
PROGRESS_START = b"S"
PROGRESS_DONE = b"D"
PROGRESS_DIGITS = 5

MAX_REPR = 200
MAX_TRACE_ENTRIES = 5000

# Student code runs in this process and may replace numpy's or the standard
# library's functions (np.array_equal = lambda *a: True). The worker keeps its
# own references, taken before any student code runs, so such patches do not
# change what it records.
_ndarray = np.ndarray
_array_equal = np.array_equal
_ascontiguous = np.ascontiguousarray
_frombuffer = np.frombuffer
_dumps = json.dumps
_loads = json.loads
_write = os.write
_isfinite = np.isfinite
_deepcopy = copy.deepcopy
_getframe = sys._getframe
_urandom = os.urandom


def describe(value):
    """JSON description of a returned value (never the value itself unless an array)."""
    if isinstance(value, _ndarray):
        subclass = None if type(value) is _ndarray else _type_name(value)
        description = {
            "kind": "ndarray",
            "dtype": _safe(lambda: str(value.dtype), "?"),
            "shape": _safe(lambda: [int(n) for n in value.shape], []),
            "subclass": subclass,
        }
        nbytes = _safe(lambda: int(value.nbytes), 0)
        if nbytes > MAX_ARRAY_BYTES:
            description["dtype"] += " (%d bytes: too large to return)" % nbytes
        return description
    text = _safe(lambda: repr(value), "<unprintable>")
    if not isinstance(text, str):
        text = "<unprintable>"
    if len(text) > MAX_REPR:
        text = text[:MAX_REPR] + "..."
    return {"kind": "other", "type": _type_name(value), "repr": text}


def _type_name(value):
    return _safe(lambda: str(type(value).__name__), "?")


def _safe(function, default):
    """function(), or DEFAULT when it raises (student objects may raise from anything)."""
    try:
        return function()
    except BaseException:
        return default


def fresh(cache):
    """A deep copy of a forward call's cache for one backward call (SPEC lets a
    backward change its cache; the next backward of the same cache must not
    see that). A cache that cannot be copied is passed as it is."""
    try:
        return _deepcopy(cache)
    except BaseException:
        return cache


def returnable(value):
    """Whether VALUE is a plain ndarray of a number dtype and a sane size."""
    return (
        type(value) is _ndarray
        and not value.dtype.hasobject
        and value.dtype.kind in SAVED_KINDS
        and value.dtype.fields is None
        and value.nbytes <= MAX_ARRAY_BYTES
    )


def student_traceback(code_dir):
    """The current exception's traceback, cut to frames in the student's files."""
    kind, error, tb = sys.exc_info()
    frames = [frame for frame in traceback.extract_tb(tb) if str(frame.filename).startswith(code_dir)]
    lines = traceback.format_list(frames)
    lines += _safe(lambda: traceback.format_exception_only(kind, error), [_type_name(error) + "\n"])
    return "".join(lines)[-4000:]


def error_record(code_dir, stage):
    kind, error, _ = sys.exc_info()
    message = _safe(lambda: str(error), None)
    trace = _safe(lambda: student_traceback(code_dir), "")
    if code_dir:
        trace = trace.replace(code_dir + os.sep, "")
    return {
        "status": "error",
        "stage": stage,
        "type": _safe(lambda: str(kind.__name__), "Exception"),
        "message": (message if type(message) is str else "<the exception cannot be printed>")[:1000],
        "traceback": trace,
    }


class Inputs:
    """The job's input arrays: one float64 file, an index of names."""

    def __init__(self, job_dir, index):
        with open(os.path.join(job_dir, ARRAYS_FILE), "rb") as handle:
            self.data = handle.read()
        self.index = index

    def get(self, name):
        offset, shape = self.index[name]
        count = 1
        for n in shape:
            count *= int(n)
        view = _frombuffer(self.data, dtype=np.float64, count=count, offset=8 * int(offset))
        return view.reshape(shape).copy()


class RecordStream:
    """Append entries (a JSON line, then raw array bytes) to one file."""

    def __init__(self, path):
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)

    def write(self, header, arrays=()):
        chunks = [(_dumps(header) + "\n").encode("utf-8")]
        chunks += [_ascontiguous(a).tobytes() for a in arrays]
        for chunk in chunks:
            view = memoryview(chunk)
            while view:
                view = view[_write(self.fd, view) :]


def trace_record(counter, attempts, code_dir):
    """The "trace" of a traced call's record: COUNTER's line counts [FILE, LINE, KIND, N] (FILE relative
    to CODE_DIR) and the tampering seen (the counter's own and ATTEMPTS of this call)."""
    prefix = code_dir + os.sep
    counts = [[file.replace(prefix, ""), int(line), kind, int(n)] for (file, line, kind), n in counter.counts.items()]
    tampered = [counter.tampered] if counter.tampered else []
    return {"counts": counts[:MAX_TRACE_ENTRIES], "tampered": tampered + list(attempts)}


def dict_state(call_id, value, arrays):
    """A param dict after a call: scalars in JSON, arrays described and appended to ARRAYS
    (their "file" is CALL_ID#K)."""
    state = {}
    if type(value) is not dict:
        return {"kind": "other", "type": _type_name(value)}
    for key, item in list(dict.items(value))[:50]:
        key = _safe(lambda: str(key), "?") if type(key) is not str else key
        if isinstance(item, _ndarray):
            description = describe(item)
            if returnable(item):
                description["file"] = "%s#%d" % (call_id, len(arrays))
                arrays.append(item)
            state[key] = description
        elif type(item) in (bool, int, float, str) or item is None:
            if type(item) is float and not _isfinite(item):
                item = repr(item)
            elif type(item) is int and abs(item) > 2**53:
                item = repr(item)
            elif type(item) is str:
                item = item[:MAX_REPR]
            state[key] = {"kind": "scalar", "value": item}
        else:
            state[key] = describe(item)
    return {"kind": "dict", "items": state}


# Attempts of student code to change the interpreter's trace or profile hooks
# (which would blind the vectorization check). Filled by the guards below.
TAMPERING = []


def guard_tracing(code_dir):
    """Replace the functions that set trace/profile hooks by ones that refuse and say so."""

    def refuse(name):
        def refused(*args, **kwargs):
            try:  # the caller's frame, taken here (inside a helper it would be the helper's caller)
                frame = _getframe(1)
                where = "%s line %d" % (frame.f_code.co_filename.replace(code_dir + os.sep, ""), frame.f_lineno)
            except Exception:
                where = "?"
            if len(TAMPERING) < 10000:
                TAMPERING.append("%s called at %s" % (name, where))

        return refused

    for owner, names in (
        (sys, ("settrace", "setprofile")),
        (threading, ("settrace", "setprofile", "settrace_all_threads", "setprofile_all_threads")),
    ):
        for name in names:
            if hasattr(owner, name):
                setattr(owner, name, refuse("%s.%s" % (owner.__name__, name)))


class Worker:
    """Runs one group's calls in order, from `start`, writing records to `stream`.

    `modules` may be filled before `run()` (the reference, in the grader's own
    process); otherwise `layers.<module>` is imported from the code folder.
    """

    def __init__(
        self,
        code_dir,
        group,
        calls,
        inputs,
        stream,
        start=0,
        skip=(),
        progress=None,
        own_files=None,
        vectorization=None,
    ):
        self.code_dir = code_dir
        self.group = group
        self.calls = calls
        self.by_id = {call["id"]: i for i, call in enumerate(calls)}
        self.inputs = inputs
        self.stream = stream
        self.start = start
        self.skip = set(skip)
        self.progress = progress
        self.own_files = own_files or [os.path.join(code_dir, "layers", m) for m in ("conv.py", "norm.py")]
        self.vectorization = vectorization  # the trusted layers/vectorization.py (counter, inputs)
        self.caches = {}
        self.generated = {}  # call id -> (seed, dout) of inputs drawn for a traced forward
        self.seeds = {}  # call id -> the seed of the inputs it was given (traced calls)
        self.dicts = {}
        self.modules = {}
        self.import_errors = {}
        self.done = {}  # call id -> status, for calls run by this process

    # -- arguments ---------------------------------------------------------------
    def module(self, name):
        if name in self.import_errors:
            raise ImportError(self.import_errors[name])
        if name not in self.modules:
            try:
                self.modules[name] = importlib.import_module("layers." + name)
            except BaseException:
                self.import_errors[name] = error_record(self.code_dir, "import")
                raise
        return self.modules[name]

    def cache_of(self, call_id):
        if call_id not in self.caches and call_id in self.by_id and self.by_id[call_id] < self.start:
            # A fresh runner: the forward ran in a process that is gone; run it again.
            self.replay(self.calls[self.by_id[call_id]])
        if call_id not in self.caches:
            raise LookupError(
                "it needs the cache of a forward call, and that call failed on this case (see the forward's tests)"
            )
        return fresh(self.caches[call_id])

    def dict_of(self, spec):
        name = spec["dict"]
        if name not in self.dicts:
            self.dicts[name] = dict(spec.get("init", {}))
            # A fresh runner: replay the earlier calls that used this dict, in order.
            for call in self.calls[: self.start]:
                if any(a.get("dict") == name for a in call["args"]):
                    if not self.replay(call):
                        raise LookupError(
                            "it needs the state left by an earlier call with the same param dict, and that call failed"
                        )
        self.dicts[name].update(spec.get("set", {}))
        return self.dicts[name]

    def generate(self, call_id, spec):
        """Inputs for a traced forward call, drawn now from a fresh seed."""
        seed = int.from_bytes(_urandom(8), "little")
        x, w, b, conv_param, dout = self.vectorization.conv_case(
            spec["x"], spec["w"], spec["stride"], spec["pad"], spec["dimension"], spec["factor"], seed
        )
        self.generated[call_id] = (seed, dout)
        self.seeds[call_id] = seed
        return [x, w, b, conv_param]

    def build_args(self, specs, call_id=None):
        args = []
        for spec in specs:
            if "generate" in spec:
                args += self.generate(call_id, spec["generate"])
            elif "generated" in spec:
                source = spec["generated"]
                if source not in self.generated and source in self.by_id and self.by_id[source] < self.start:
                    self.replay(self.calls[self.by_id[source]])
                if source not in self.generated:
                    raise LookupError(
                        "it needs the cache of a forward call, and that call failed on this case "
                        "(see the forward's tests)"
                    )
                self.seeds[call_id] = self.generated[source][0]
                args.append(self.generated[source][1].copy())
            elif "array" in spec:
                args.append(self.inputs.get(self.group + ":" + spec["array"]))
            elif "value" in spec:
                args.append(_loads(_dumps(spec["value"])))
            elif "cache" in spec:
                args.append(self.cache_of(spec["cache"]))
            elif "dict" in spec:
                args.append(self.dict_of(spec))
            else:
                raise ValueError("unknown argument spec %r" % (spec,))
        return args

    def replay(self, call):
        """Run an earlier call again, unrecorded, to rebuild its cache or dict state; True if it worked."""
        if call["id"] in self.done:
            return self.done[call["id"]] == "ok"
        try:
            function = getattr(self.module(call["module"]), call["func"])
            result = function(*self.build_args(call["args"], call["id"]))
            ok = type(result) in (tuple, list) and len(result) == call["returns"]
        except BaseException:
            ok = False
        if ok and call.get("keep_cache"):
            self.caches[call["id"]] = result[1]
        self.done[call["id"]] = "ok" if ok else "error"
        return ok

    # -- one call ------------------------------------------------------------------
    def run_call(self, call):
        """(record, arrays) of one call."""
        if call["func"] in self.skip:
            return {
                "status": "skipped",
                "message": "not run again: it hung or crashed the process on an earlier case (see that case's test)",
            }, []
        try:
            function = getattr(self.module(call["module"]), call["func"])
            args = self.build_args(call["args"], call["id"])
            before = {i: arg.copy() for i, arg in enumerate(args) if type(arg) is _ndarray}
        except LookupError as error:
            return {"status": "skipped", "message": str(error)}, []
        except BaseException:
            return self.import_errors.get(call["module"]) or error_record(self.code_dir, "lookup"), []
        counter = None
        tampering = len(TAMPERING)
        try:
            if call.get("traced") and self.vectorization is not None:
                counter = self.vectorization.LineCounter(self.own_files)
                with counter:
                    result = function(*args)
            else:
                result = function(*args)
        except BaseException:
            return error_record(self.code_dir, "call"), []
        try:
            record, arrays = self.record_result(call, args, before, result)
            if counter is not None:
                record["trace"] = trace_record(counter, TAMPERING[tampering : tampering + 20], self.code_dir)
            if call["id"] in self.seeds:
                record["seed"] = self.seeds[call["id"]]
            return record, arrays
        except BaseException:
            # Whatever was returned broke the recording (a value whose methods
            # raise, an array too large to copy...): a failed call, never a
            # crash that would cost the rest of the plan.
            record = error_record(self.code_dir, "result")
            return {
                "status": "bad_return",
                "returned": {
                    "kind": "other",
                    "type": "value that cannot be inspected",
                    "repr": "(%s: %s)" % (record["type"], record["message"][:MAX_REPR]),
                },
            }, []

    def record_result(self, call, args, before, result):
        call_id = call["id"]
        arrays = []
        record = {"status": "ok"}
        record["modified_inputs"] = [
            i
            for i, copied in before.items()
            if type(args[i]) is not _ndarray
            or copied.shape != args[i].shape
            or not _array_equal(copied, args[i], equal_nan=True)
        ]
        record["dicts"] = {
            str(i): dict_state(call_id, arg, arrays)
            for i, arg in enumerate(args)
            if i < len(call["args"]) and "dict" in call["args"][i]
        }
        expected = call["returns"]
        if type(result) not in (tuple, list) or len(result) != expected:
            record["status"] = "bad_return"
            record["returned"] = (
                describe(result) if type(result) not in (tuple, list) else {"kind": "sequence", "length": len(result)}
            )
            return record, arrays
        values = list(result)
        if expected == 2:  # a forward pass: (out, cache); the cache stays here
            if call.get("keep_cache"):
                self.caches[call_id] = values[1]
            values = values[:1]
        descriptions = []
        for value in values:
            description = describe(value)
            if returnable(value):
                description["file"] = "%s#%d" % (call_id, len(arrays))
                arrays.append(value)
            descriptions.append(description)
        record["returned"] = descriptions
        return record, arrays

    def run(self):
        for index in range(self.start, len(self.calls)):
            call = self.calls[index]
            if call["id"] in self.done:
                continue
            self.stream.write({"group": self.group, "start": call["id"]})
            if self.progress is not None:
                self.progress(PROGRESS_START, index)
            record, arrays = self.run_call(call)
            self.done[call["id"]] = record.get("status")
            self.stream.write(
                {
                    "group": self.group,
                    "id": call["id"],
                    "record": record,
                    "arrays": [[a.dtype.str, [int(n) for n in a.shape]] for a in arrays],
                },
                arrays,
            )
            if self.progress is not None:
                self.progress(PROGRESS_DONE, index)


# -- the fork server -----------------------------------------------------------------


# What a signal that killed a process most likely means, for the student (both sides use it).
SIGNAL_HINTS = {
    "SIGKILL": " (often: the memory limit)",
    "SIGXCPU": " (the CPU time limit)",
    "SIGXFSZ": " (the file size limit)",
    "SIGSEGV": " (a crash)",
}


def _end_reason(status, timed_out, seconds):
    if timed_out:
        return "it did not finish within %g s (an infinite loop, or far too slow)" % seconds
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        name = _safe(lambda: signal.Signals(number).name, "signal %d" % number)
        return "the process running it was killed by %s%s" % (name, SIGNAL_HINTS.get(name, ""))
    return "the process running it exited with code %d (sys.exit or os._exit in your code?)" % os.WEXITSTATUS(status)


class Runner:
    """One forked runner of a group, as the server sees it."""

    def __init__(self, group, start, pid, fd):
        self.group, self.start, self.pid, self.fd = group, start, pid, fd
        self.current = None  # index of the call running now; -1 while importing
        self.since = time.monotonic()
        self.buffer = b""
        self.timed_out = False

    def take(self, data, count, now):
        """Read progress messages from DATA (bytes from the runner's pipe; COUNT: its group's calls):
        `current` becomes the index of the call that started, or None once it is done."""
        self.buffer += data
        while len(self.buffer) >= 1 + PROGRESS_DIGITS:
            kind, digits = self.buffer[:1], self.buffer[1 : 1 + PROGRESS_DIGITS]
            self.buffer = self.buffer[1 + PROGRESS_DIGITS :]
            if kind in (PROGRESS_START, PROGRESS_DONE) and digits.isdigit() and int(digits) < count:
                self.current = int(digits) if kind == PROGRESS_START else None
                self.since = now


def _reap(pid):
    """The wait status of child PID, which is exiting or was killed: an exiting process closes its
    files a moment before it can be reaped, so wait up to 2 s, then kill it and wait."""
    for _ in range(2000):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.001)
    _safe(lambda: os.kill(pid, signal.SIGKILL), None)
    _, status = os.waitpid(pid, 0)
    return status


def serve(code_dir, job_dir, out_dir, resume):
    """The fork server: run the groups of RESUME on the job, PARALLEL runners at a time, each call
    at most the job's call_seconds; write a "crashed" record for a call whose runner died or hung
    on it, and fork a fresh runner for the calls after it."""
    with open(os.path.join(job_dir, PLAN_FILE)) as handle:
        job = json.load(handle)
    inputs = Inputs(job_dir, job["arrays"])
    seconds = float(job["call_seconds"])
    parallel = max(1, int(resume.get("parallel", 1)))
    attempt = int(resume.get("attempt", 0))
    skip = {g: set(f) for g, f in resume.get("skip", {}).items()}
    pending = [(g, int(i)) for g, i in resume["start"].items()]
    server_stream = RecordStream(os.path.join(out_dir, SERVER_STREAM % attempt))
    vectorization = sys.modules.get("layers.vectorization")
    running = {}
    serial = 0
    while pending or running:
        while pending and len(running) < parallel:
            group, start = pending.pop(0)
            serial += 1
            read_fd, write_fd = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(read_fd)
                _run_group(
                    code_dir,
                    group,
                    job["groups"][group],
                    inputs,
                    out_dir,
                    attempt,
                    serial,
                    start,
                    skip.get(group, ()),
                    write_fd,
                    vectorization,
                )
            os.close(write_fd)
            runner = Runner(group, start, pid, read_fd)
            runner.current = -1
            running[read_fd] = runner
        now = time.monotonic()
        busy = [r for r in running.values() if r.current is not None]
        timeout = min([max(0.0, r.since + seconds - now) for r in busy] or [seconds])
        ready, _, _ = select.select(list(running), [], [], timeout)
        now = time.monotonic()
        for fd in list(running):
            runner = running[fd]
            if fd in ready:
                data = _safe(lambda: os.read(fd, 4096), b"")
                if data:
                    runner.take(data, len(job["groups"][runner.group]), now)
                    continue
            elif runner.current is None or now < runner.since + seconds:
                continue
            else:
                runner.timed_out = True
                _safe(lambda: os.kill(runner.pid, signal.SIGKILL), None)
            # The runner is gone (or killed): find out how, and carry on after the call it was on.
            # (Its pipe can also close while it lives on, if student code closes it: stop it then.)
            status = _reap(runner.pid)
            os.close(fd)
            del running[fd]
            calls = job["groups"][runner.group]
            if runner.current is None:
                continue  # it finished its group
            reason = _end_reason(status, runner.timed_out, seconds)
            if runner.current == -1:  # while importing the student's module: no call can run
                for index in range(runner.start, len(calls)):
                    server_stream.write(
                        {
                            "group": runner.group,
                            "id": calls[index]["id"],
                            "record": {"status": "crashed", "stage": "import", "reason": reason},
                            "arrays": [],
                        }
                    )
                continue
            call = calls[runner.current]
            server_stream.write(
                {
                    "group": runner.group,
                    "id": call["id"],
                    "record": {"status": "crashed", "reason": reason},
                    "arrays": [],
                }
            )
            if runner.timed_out:
                skip.setdefault(runner.group, set()).add(call["func"])
            if runner.current + 1 < len(calls):
                pending.append((runner.group, runner.current + 1))


def _run_group(code_dir, group, calls, inputs, out_dir, attempt, serial, start, skip, progress_fd, vectorization):
    """The body of a forked runner; never returns."""
    try:
        stream = RecordStream(os.path.join(out_dir, RUNNER_STREAM % (group, attempt, serial)))

        def progress(kind, index):
            _write(progress_fd, kind + b"%0*d" % (PROGRESS_DIGITS, index))

        worker = Worker(
            code_dir,
            group,
            calls,
            inputs,
            stream,
            start=start,
            skip=skip,
            progress=progress,
            vectorization=vectorization,
        )
        modules = sorted({call["module"] for call in calls[start:]})
        for name in modules:
            try:
                worker.module(name)
            except BaseException:
                pass  # recorded; every call of that module reports it
        progress(PROGRESS_DONE, 0)  # imported: no call is running
        worker.run()
    finally:
        for stream_ in (sys.stdout, sys.stderr):
            _safe(stream_.flush, None)
        os._exit(0)


def _reachable(path):
    """PATH, or for a relative PATH a name that stays valid whatever the ancestors' permissions.

    Python makes import paths absolute, and an absolute path runs through the
    grader's private work folder; /proc/self/fd/N leads straight to the folder.
    """
    if os.path.isabs(path):
        return path
    return "/proc/self/fd/%d" % os.open(path, os.O_RDONLY | os.O_DIRECTORY)


def main(argv):
    # The folders are used as given: absolute in bubblewrap mode, relative to
    # the working folder in process mode (whose ancestors the child may not
    # be allowed to enter, so they must not be made absolute).
    code_dir, job_dir, out_dir = (_reachable(p) for p in argv[1:4])
    resume = json.loads(argv[4])
    sys.path.insert(0, code_dir)
    sys.dont_write_bytecode = True
    try:
        import layers.vectorization  # noqa: F401  (the trusted counter, before any student code)
    except BaseException:
        pass
    guard_tracing(code_dir)
    serve(code_dir, job_dir, out_dir, resume)
    with open(os.path.join(out_dir, SERVER_DONE), "w") as handle:
        handle.write("done\n")
    # Ends the process at once: nothing of student code runs here, but be sure.
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv)
