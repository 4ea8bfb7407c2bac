"""The child side of grading: run a plan of calls into student code, write results.

This file runs inside the sandboxed child process, as a script:

    python -I -B worker.py CODE_DIR JOB_DIR OUT_DIR [CONTROL_IN_FD CONTROL_OUT_FD]

It imports only the standard library and numpy, because nothing of the grader
is visible in the sandbox. Everything here runs in the same process as student
code, so nothing it writes is trusted: the grader validates every file it reads
back (`.npy` with allow_pickle=False, JSON with size limits) and does every
comparison in its own process.

JOB_DIR/plan.json holds a list of calls, run in order:

    {"id": "c3", "module": "conv", "func": "conv_backward_naive",
     "args": [{"array": "c3_dout"}, {"cache": "c2"}],
     "returns": 3, "keep_cache": false, "timed": false}

An argument is {"array": NAME} (JOB_DIR/arrays/NAME.npy, a fresh copy per
call), {"value": JSON} (a fresh copy per call), {"cache": ID} (a deep copy of the second
element returned by call ID) or {"dict": NAME, "init": {...}, "set": {...}}
(a dict that persists across calls, created from "init" on first use; "set"
updates keys before this call; its arrays live in JOB_DIR/arrays too, named
by "init_arrays").

For each call the worker writes OUT_DIR/ID.json (last, so its presence means
the call's files are complete) and OUT_DIR/ID_K.npy for every returned array.
A "timed" call waits for b"G" on the control pipe before it starts and writes
b"D" when it ends, after writing b"R" when ready, so that the grader times it
with its own clock.
"""
import copy
import importlib
import json
import os
import sys
import time
import traceback

import numpy as np

MAX_REPR = 200
# Largest array the worker saves (the grader reads at most as much).
MAX_ARRAY_BYTES = 64 * 1024 * 1024
# Dtypes worth saving: booleans and numbers (the grader wants float64; it says
# so for the others). Never objects, strings, records or dates.
SAVED_KINDS = "biufc"

# Student code runs in this process and may replace numpy's or the standard
# library's functions (np.array_equal = lambda *a: True). The worker keeps its
# own references, taken before any student code runs, so such patches do not
# change what it records. (A student set on forging can still overwrite the
# files; the grader checks every value against the reference in its own
# process, so forging gains only what a correct answer would.)
_ndarray = np.ndarray
_array_equal = np.array_equal
_save = np.save
_load = np.load
_dump = json.dump
_dumps = json.dumps
_loads = json.loads
_replace = os.replace
_open = open
_isfinite = np.isfinite
_deepcopy = copy.deepcopy


def describe(value):
    """JSON description of a returned value (never the value itself unless an array)."""
    if isinstance(value, _ndarray):
        subclass = None if type(value) is _ndarray else _type_name(value)
        description = {"kind": "ndarray", "dtype": _safe(lambda: str(value.dtype), "?"),
                       "shape": _safe(lambda: [int(n) for n in value.shape], []), "subclass": subclass}
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
    """A deep copy of a forward call's cache for one backward call.

    Two backward functions (batchnorm_backward, then batchnorm_backward_alt)
    take the cache of the same forward call; SPEC lets a backward change its
    cache, which must not change what the next one gets. A cache that cannot
    be copied is passed as it is.
    """
    try:
        return _deepcopy(cache)
    except BaseException:
        return cache


def stream_shape(spec):
    """The shape of a streamed argument, checked (the grader wrote it, but cheaply safe)."""
    shape = [int(n) for n in spec["shape"]]
    if any(n < 0 for n in shape) or len(shape) > 8:
        raise ValueError("bad stream shape %r" % (shape,))
    return shape


def save_array(path, value):
    """Save a plain ndarray of a number dtype and a sane size; return whether it was saved."""
    if type(value) is not _ndarray or value.dtype.hasobject or value.dtype.kind not in SAVED_KINDS:
        return False
    if value.dtype.fields is not None or value.nbytes > MAX_ARRAY_BYTES:
        return False
    with _open(path, "wb") as handle:
        _save(handle, value, allow_pickle=False)
    return True


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


class Worker:
    def __init__(self, code_dir, job_dir, out_dir, control_in=None, control_out=None):
        self.code_dir = code_dir
        self.arrays_dir = os.path.join(job_dir, "arrays")
        self.out_dir = out_dir
        self.control_in = control_in
        self.control_out = control_out
        self.caches = {}
        self.dicts = {}
        self.modules = {}
        self.import_errors = {}

    def load_array(self, name):
        with _open(os.path.join(self.arrays_dir, name + ".npy"), "rb") as handle:
            return _load(handle, allow_pickle=False)

    def module(self, name):
        if name in self.import_errors:
            raise ImportError(self.import_errors[name])
        if name not in self.modules:
            try:
                self.modules[name] = importlib.import_module("layers." + name)
            except BaseException:
                record = error_record(self.code_dir, "import")
                self.import_errors[name] = record
                raise
        return self.modules[name]

    def build_args(self, specs):
        args = []
        for spec in specs:
            if "array" in spec:
                args.append(self.load_array(spec["array"]))
            elif "value" in spec:
                args.append(_loads(_dumps(spec["value"])))
            elif "stream" in spec:
                args.append(np.empty(stream_shape(spec)))  # filled when the timed call starts
            elif "cache" in spec:
                if spec["cache"] not in self.caches:
                    raise LookupError("it needs the cache of a forward call, and that call failed "
                                      "on this case (see the forward tests)")
                args.append(fresh(self.caches[spec["cache"]]))
            elif "dict" in spec:
                name = spec["dict"]
                if name not in self.dicts:
                    created = dict(spec.get("init", {}))
                    for key, array_name in spec.get("init_arrays", {}).items():
                        created[key] = self.load_array(array_name)
                    self.dicts[name] = created
                self.dicts[name].update(spec.get("set", {}))
                args.append(self.dicts[name])
            else:
                raise ValueError("unknown argument spec %r" % (spec,))
        return args

    def dict_state(self, call_id, position, value):
        """Record a param dict after a call: scalars in JSON, arrays as .npy files."""
        state = {}
        if type(value) is not dict:
            return {"kind": "other", "type": _type_name(value)}
        for key, item in list(dict.items(value))[:50]:
            key = _safe(lambda: str(key), "?") if type(key) is not str else key
            if isinstance(item, _ndarray):
                file_name = "%s_d%d_%s.npy" % (call_id, position, key)
                saved = key.isidentifier() and key.isascii() and save_array(os.path.join(self.out_dir, file_name),
                                                                            item)
                state[key] = dict(describe(item), file=file_name if saved else None)
            elif type(item) in (bool, int, float, str) or item is None:
                if type(item) is float and not _isfinite(item):
                    item = repr(item)
                elif type(item) is int and abs(item) > 2 ** 53:
                    item = repr(item)
                elif type(item) is str:
                    item = item[:MAX_REPR]
                state[key] = {"kind": "scalar", "value": item}
            else:
                state[key] = describe(item)
        return {"kind": "dict", "items": state}

    def signal(self, byte):
        os.write(self.control_out, byte)

    def read_streams(self, call, args):
        """Read a timed call's streamed inputs from the control pipe into their arrays.

        Always reads them all, whatever happened to the call, so the pipe
        stays in step with the grader.
        """
        for position, spec in enumerate(call["args"]):
            if "stream" not in spec:
                continue
            target = args[position] if position < len(args) and type(args[position]) is _ndarray else None
            if target is None or list(target.shape) != stream_shape(spec):
                target = np.empty(stream_shape(spec))
            view = memoryview(target).cast("B")
            got = 0
            while got < len(view):
                count = os.readv(self.control_in, [view[got:]])
                if count == 0:
                    raise SystemExit(0)
                got += count

    def wait_for_go(self):
        """True to run the timed call, False to skip it (the grader's choice)."""
        byte = os.read(self.control_in, 1)
        if byte not in (b"G", b"S", b"C"):
            raise SystemExit(0)
        return byte == b"G"

    def run_call(self, call):
        timed = call.get("timed", False) and self.control_in is not None
        early, function, args, before = None, None, [], {}
        try:
            function = getattr(self.module(call["module"]), call["func"])
            args = self.build_args(call["args"])
            before = {i: arg.copy() for i, arg in enumerate(args)
                      if type(arg) is _ndarray and "stream" not in call["args"][i]}
        except LookupError as error:
            early = {"status": "skipped", "message": str(error)}
        except BaseException:
            early = self.import_errors.get(call["module"]) or error_record(self.code_dir, "lookup")
        # A timed call always does its handshake, so the grader's count of
        # timed calls stays in step whatever happens to this one.
        if timed:
            self.signal(b"R")
            go = self.wait_for_go()
            self.read_streams(call, args)
            if not go and early is None:
                early = {"status": "skipped", "message": "not timed: already far too slow"}
        try:
            if early is not None:
                return early
            start = time.perf_counter()
            try:
                result = function(*args)
            except BaseException:
                return error_record(self.code_dir, "call")
            elapsed = time.perf_counter() - start
        finally:
            if timed:
                self.signal(b"D")
                # Wait until the grader has read this process's CPU time, so
                # that recording the results is not counted as the call's.
                self.wait_for_go()
        try:
            return self.record_result(call, args, before, result, elapsed)
        except BaseException:
            # Whatever was returned broke the recording (a value whose methods
            # raise, an array too large to copy...): a failed call, never a
            # crash that would cost the rest of the plan.
            record = error_record(self.code_dir, "result")
            return {"status": "bad_return", "returned": {
                "kind": "other", "type": "value that cannot be inspected",
                "repr": "(%s: %s)" % (record["type"], record["message"][:MAX_REPR])}}

    def record_result(self, call, args, before, result, elapsed):
        call_id = call["id"]
        record = {"status": "ok", "elapsed": elapsed}
        record["modified_inputs"] = [
            i for i, copy in before.items()
            if type(args[i]) is not _ndarray or copy.shape != args[i].shape
            or not _array_equal(copy, args[i], equal_nan=True)
        ]
        record["dicts"] = {
            str(i): self.dict_state(call_id, i, arg) for i, arg in enumerate(args) if "dict" in call["args"][i]
        }
        expected = call["returns"]
        if type(result) not in (tuple, list) or len(result) != expected:
            record["status"] = "bad_return"
            record["returned"] = describe(result) if type(result) not in (tuple, list) else {
                "kind": "sequence", "length": len(result)}
            return record
        values = list(result)
        if expected == 2:  # a forward pass: (out, cache); the cache stays here
            if call.get("keep_cache"):
                self.caches[call_id] = values[1]
            values = values[:1]
        descriptions = []
        for k, value in enumerate(values):
            description = describe(value)
            if save_array(os.path.join(self.out_dir, "%s_%d.npy" % (call_id, k)), value):
                description["file"] = "%s_%d.npy" % (call_id, k)
            descriptions.append(description)
        record["returned"] = descriptions
        return record

    def run(self, calls):
        for call in calls:
            record = self.run_call(call)
            path = os.path.join(self.out_dir, call["id"] + ".json")
            with _open(path + ".tmp", "w") as handle:
                _dump(record, handle)
            _replace(path + ".tmp", path)


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
    control = [int(fd) for fd in argv[4:6]] or [None, None]
    sys.path.insert(0, code_dir)
    sys.dont_write_bytecode = True
    with _open(os.path.join(job_dir, "plan.json")) as handle:
        calls = json.load(handle)
    Worker(code_dir, job_dir, out_dir, *control).run(calls)
    # Ends the process at once: student code may have left threads or atexit
    # hooks, or closed the standard streams.
    for stream in (sys.stdout, sys.stderr):
        _safe(stream.flush, None)
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv)
