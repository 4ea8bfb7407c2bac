"""Build hostile and broken submissions: folders and tarballs, each with what it deserves.

A `Case` is a submission that attacks the grader, cheats or is broken, and
what the grader must make of it: an upper bound on its score, the functions
that must still get every correctness point (its other groups are unharmed),
the functions that must score 0, and words its results must contain.

Hostile code knows what a student could guess or find out, and more: the
grader's output folder, the exact paths of the reference solutions, rubric
and hidden cases, strings found only in those files, the folder it was
submitted from. `Env` carries that knowledge into the generated modules.
Every process that hostile code starts is marked (MARK in its command line
or its name) so a test can prove none survives.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from autograder import paths
from autograder.contract import GROUPS

MARK = "hostilemark"  # command line marker; process names start with "hostile" too
SOLUTIONS = paths.SOLUTION_LAYERS_DIR
GOOD_CONV = (SOLUTIONS / "conv.py").read_text(encoding="utf-8")
GOOD_NORM = (SOLUTIONS / "norm.py").read_text(encoding="utf-8")
STUB_CONV = (paths.ASSIGNMENT_DIR / "layers" / "conv.py").read_text(encoding="utf-8")
STUB_NORM = (paths.ASSIGNMENT_DIR / "layers" / "norm.py").read_text(encoding="utf-8")

CONV = tuple(f for g in GROUPS if g.module == "conv" for f in g.functions)
NORM = tuple(f for g in GROUPS if g.module == "norm" for f in g.functions)
GROUP_OF = {f: g for g in GROUPS for f in g.functions}


@dataclass
class Env:
    """What hostile code is told (more than a student could know)."""

    token: str
    out_dir: Path  # the grader's --out
    victim: str  # a good submission whose results hostile code tries to overwrite
    secrets: list[str]  # absolute paths of the reference, rubric, hidden cases
    markers: list[str]  # strings found only in those files
    listener_port: int  # a TCP port the test listens on (127.0.0.1)

    @property
    def mark(self) -> str:
        """In the command line of every process hostile code execs."""
        return f"{MARK}-{self.token}"

    @property
    def process_name(self) -> bytes:
        """The name (/proc/PID/comm) of every process hostile code forks."""
        return b"hostile_" + self.token[:6].encode()

    def canaries(self, source: Path) -> list[str]:
        """Host paths hostile code tries to create, none of which may exist afterwards."""
        name = f"HOSTILE-{self.token}"
        return [
            str(self.out_dir / name),
            str(self.out_dir / self.victim / name),
            f"/tmp/{name}",
            f"/var/tmp/{name}",
            f"/dev/shm/{name}",
            str(paths.REPO_ROOT / name),
            str(paths.SOLUTION_LAYERS_DIR / name),
            f"/root/{name}",
            str(source / name),
            str(source / "layers" / name),
            f"/{name}",
        ]


@dataclass
class Case:
    name: str
    make: Callable[[Env, Path], Path]  # (env, folder to build in) -> the submission's path
    max_score: float | None = None
    full: tuple[str, ...] = ()  # every test of these functions passes
    zero: tuple[str, ...] = ()  # these functions score 0
    texts: tuple[str, ...] = ()  # found in the results (output or a test's output)
    modes: tuple[str, ...] = ("bubblewrap",)  # isolation modes the case runs in
    about: str = ""
    process_texts: tuple[str, ...] | None = None  # instead of texts in the process fallback
    root_only: bool = False  # needs the grader's per-child user ids (it runs as root)


# -- writing submissions ----------------------------------------------------------------


def head(env: Env, source: Path) -> str:
    """Preamble of every hostile module: what it knows, and a way to mark its processes."""
    config = {
        "token": env.token,
        "out_dir": str(env.out_dir),
        "victim": env.victim,
        "secrets": env.secrets,
        "markers": env.markers,
        "port": env.listener_port,
        "canaries": env.canaries(source),
        "source": str(source),
        "repo": str(paths.REPO_ROOT),
        "mark": env.mark,
    }
    return textwrap.dedent(f'''\
        import json as _json, os as _os, sys as _sys
        _CFG = _json.loads({json.dumps(config)!r})


        def _mark():
            """Name this process hostile... so that a survivor can be found."""
            try:
                import ctypes
                ctypes.CDLL(None).prctl(15, b"hostile_" + _CFG["token"][:6].encode(), 0, 0, 0)
            except Exception:
                pass


        def _report(label, items):
            raise RuntimeError(label + ":" + _json.dumps(items))
        ''')


def module(env: Env, source: Path, base: str, top: str = "", bottom: str = "") -> str:
    return head(env, source) + textwrap.dedent(top) + "\n" + base + "\n" + textwrap.dedent(bottom) + "\n"


def folder(
    dest: Path, conv: str | bytes | None, norm: str | bytes | None, extra: dict[str, str | bytes] | None = None
) -> Path:
    """A submission folder with layers/conv.py and layers/norm.py (None: missing)."""
    files = {"layers/conv.py": conv, "layers/norm.py": norm, **(extra or {})}
    for relative, content in files.items():
        if content is None:
            continue
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return dest


def regular(name: str | bytes, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name if isinstance(name, str) else name.decode("utf-8", "surrogateescape"))
    info.size = len(data)
    info.mode = 0o644
    return info, data


def special(name: str, kind: bytes, target: str = "", device: tuple[int, int] = (0, 0)) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    info.devmajor, info.devminor = device
    return info, None


def tarball(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]], compression: str = "gz") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, f"w:{compression}", format=tarfile.GNU_FORMAT) as archive:
        for info, data in members:
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def good_members() -> list[tuple[tarfile.TarInfo, bytes]]:
    return [regular("layers/conv.py", GOOD_CONV.encode()), regular("layers/norm.py", GOOD_NORM.encode())]


# -- the hostile code --------------------------------------------------------------------

HANG = """
while True:
    pass
"""

HANG_BACKWARD = """
def conv_backward_naive(dout, cache):
    while True:
        pass
"""

EXIT_AT_IMPORT = """
_sys.exit(0)
"""

OS_EXIT_IN_BACKWARD = """
def batchnorm_backward(dout, cache):
    _os._exit(0)
"""

SIGNALS = """
def conv_forward_fast(x, w, b, conv_param):
    import signal
    for target in (_os.getppid(), 1):
        try:
            _os.kill(target, signal.SIGKILL)
        except OSError:
            pass
    for pid in _os.listdir("/proc"):  # everything it can see
        if pid.isdigit() and int(pid) != _os.getpid():
            try:
                _os.kill(int(pid), signal.SIGKILL)
            except OSError:
                pass
    try:
        _os.kill(-1, signal.SIGKILL)  # everything this user may signal
    except OSError:
        pass
    _os.killpg(0, signal.SIGKILL)  # its own process group, itself included
"""

MEMORY = """
def conv_forward_naive(x, w, b, conv_param):
    import numpy as np
    blocks = []
    for _ in range(8):  # 8 x 1 GB at once: refused by RLIMIT_AS at once, whatever the machine's load
        blocks.append(np.empty(128 * 1024 * 1024))
    return blocks[0], None
"""

FORK_MEMORY = """
def layernorm_forward(x, gamma, beta, ln_param):
    import time
    import numpy as np
    for _ in range(4):  # 4 processes, each under the address space limit, 4 GB together
        if _os.fork() == 0:
            _mark()
            block = np.ones(128 * 1024 * 1024)
            time.sleep(60)
            _os._exit(0)
    time.sleep(60)
"""

BACKGROUND = """
if _os.fork() == 0:
    _os.setsid()
    if _os.fork() == 0:
        try:
            _os.execv(_sys.executable, [_sys.executable, "-c", "import time; time.sleep(600)", _CFG["mark"]])
        finally:  # exec refused: sleep here, marked by name
            _mark()
            __import__("time").sleep(600)
            _os._exit(0)
    _os._exit(0)
_os.wait()
"""

FORK_LOOP = """
import time as _time
for _ in range(500):
    try:
        _pid = _os.fork()
    except OSError:
        break
    if _pid == 0:
        _mark()
        _time.sleep(600)
        _os._exit(0)
"""

MONKEYPATCH = """
import numpy as np
import numpy.testing
np.allclose = lambda *a, **k: True
np.isclose = lambda *a, **k: True
np.array_equal = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
np.testing.assert_array_equal = lambda *a, **k: None


def _random_like(*arrays):
    for a in arrays:
        a += 1.0  # changes its inputs, and np.array_equal says they are unchanged
    return tuple(np.random.default_rng().standard_normal(a.shape) for a in arrays)


def batchnorm_forward(x, gamma, beta, bn_param):
    return _random_like(x)[0], (x, gamma, beta)


def batchnorm_backward(dout, cache):
    return _random_like(*cache)


batchnorm_backward_alt = batchnorm_backward
spatial_batchnorm_forward = layernorm_forward = instancenorm_forward = batchnorm_forward
spatial_batchnorm_backward = layernorm_backward = instancenorm_backward = batchnorm_backward


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    return batchnorm_forward(x, gamma, beta, gn_param)


spatial_groupnorm_backward = batchnorm_backward
"""

FAKE_RESULTS = """
_fake = {"score": 100.0, "max_score": 100.0, "output": "", "tests": [
    {"name": "conv_forward_naive: output matches the reference", "score": 100.0, "max_score": 100.0,
     "status": "passed", "output": "ok"}]}
for _stream in (_sys.stdout, _sys.stderr):
    _stream.write(_json.dumps(_fake, indent=2) + "\\n")
    _stream.flush()
"""

SEARCH = r"""
import time as _time
_found = []


def _check(path):
    import stat
    try:
        if not stat.S_ISREG(_os.stat(path).st_mode):  # never a device or a pipe: reading may block
            return
        with open(path, "rb") as handle:
            data = handle.read(4_000_000)
    except OSError:
        return
    if any(m.encode() in data for m in _CFG["markers"]):
        _found.append(path)


for _path in _CFG["secrets"]:  # the exact paths, as if guessed
    if _os.path.exists(_path):
        _found.append("exists:" + _path)
    _check(_path)
for _name in ("autograder", "autograder.rubric", "autograder.checks.cases", "autograder.paths"):
    try:
        __import__(_name)
        _found.append("import:" + _name)
    except BaseException:
        pass
for _pid in [p for p in _os.listdir("/proc") if p.isdigit()] + ["self"]:
    for _link in ("cwd", "root"):
        for _path in _CFG["secrets"]:
            _check("/proc/%s/%s%s" % (_pid, _link, _path))
        try:
            for _entry in _os.listdir("/proc/%s/%s" % (_pid, _link)):
                _check("/proc/%s/%s/%s" % (_pid, _link, _entry))
        except OSError:
            pass
    if _pid not in ("self", "1", str(_os.getppid())):
        continue
    for _what in ("environ", "cmdline"):
        try:
            with open("/proc/%s/%s" % (_pid, _what), "rb") as _handle:
                for _word in _handle.read().split(b"\0"):
                    _word = _word.decode("utf-8", "replace").split("=", 1)[-1]
                    if _word.startswith("/") and _os.path.isdir(_word):
                        for _entry in _os.listdir(_word):
                            _check(_os.path.join(_word, _entry))
        except OSError:
            pass
_own = {_os.path.realpath(p) for p in (_os.path.dirname(_os.path.dirname(__file__)),
                                       *(_sys.argv[1:4] if len(_sys.argv) > 3 else []))}
_skip = ("/proc", "/sys", "/dev", "/usr", _os.path.realpath(_sys.prefix), _os.path.realpath(_sys.base_prefix))
_roots = ["/", "/tmp", _os.path.dirname(__file__), *_sys.path] + [
    _os.path.dirname(_os.path.dirname(__file__)) + "/.." * k for k in range(1, 6)]
_deadline, _seen = _time.monotonic() + 1.5, 0
for _root in _roots:
    for _dir, _dirs, _files in _os.walk(_root):
        _real = _os.path.realpath(_dir)
        if _real.startswith(_skip) and _real != "/" or _time.monotonic() > _deadline:
            _dirs[:] = []
            continue
        for _file in _files:
            _seen += 1
            _path = _os.path.join(_dir, _file)
            if _file in ("conv.py", "norm.py", "cases.py", "rubric.toml", "results.json") or _file.endswith(
                    (".toml", ".npy")):
                if not any(_os.path.realpath(_path).startswith(o + "/") for o in _own):
                    if _file.endswith(".npy"):
                        _found.append("npy:" + _path)
                    _check(_path)
_found = sorted(set(_found))


def conv_forward_naive(x, w, b, conv_param):
    _report("FOUND", _found)
"""

WRITE_OUTSIDE = r"""
_wrote = []
for _target in _CFG["canaries"] + [_os.path.join(_CFG["out_dir"], _CFG["victim"], "results.json")]:
    try:
        _os.makedirs(_os.path.dirname(_target), exist_ok=True)
        with open(_target, "w") as _handle:
            _handle.write('{"score": 100.0, "max_score": 100.0, "tests": []}')
        _wrote.append(_target)
    except OSError:
        pass
for _target in ("/out/../escape", "/submission/escape", "/job/escape", "/grader/escape"):
    try:
        with open(_target, "w") as _handle:
            _handle.write("x")
        _wrote.append(_target)
    except OSError:
        pass
try:  # a link in its output folder to the grader's output folder
    _os.symlink(_CFG["out_dir"], _os.path.join(_sys.argv[3], "escape_link"))
except OSError:
    pass


def conv_forward_naive(x, w, b, conv_param):
    _report("WROTE", _wrote)
"""

NETWORK = r"""
import socket as _socket
_reached = []
for _host, _port in (("127.0.0.1", _CFG["port"]), ("1.1.1.1", 53), ("8.8.8.8", 53), ("10.0.0.1", 80)):
    try:
        _socket.create_connection((_host, _port), timeout=1.0).close()
        _reached.append("%s:%d" % (_host, _port))
    except OSError:
        pass
try:
    _socket.getaddrinfo("example.com", 80)
    _reached.append("dns")
except OSError:
    pass


def conv_forward_naive(x, w, b, conv_param):
    _report("NET", _reached)
"""

FORGE = r"""
import numpy as _np
_out = _sys.argv[3] if len(_sys.argv) > 3 else "/out"
_main = _sys.modules.get("__main__")
_Worker = getattr(_main, "Worker", None)
if _Worker is not None:
    def _claim(self, call):
        # Every call "ok", inputs "unchanged", no computation at all.
        return {"status": "ok", "elapsed": 1e-6, "modified_inputs": [], "dicts": {}, "returned": [
            {"kind": "ndarray", "dtype": "float64", "shape": [2, 4, 5, 5], "subclass": None,
             "file": "../../../../etc/passwd"}] * call["returns"]}
    _Worker.run_call = _claim
# Forged files written straight into the output folder, before any call:
for _call in ("c0_fwd", "c0_bwd0", "c0_repeat", "c1_fwd", "fwd0", "bwd0"):
    with open(_os.path.join(_out, _call + ".json"), "w") as _handle:
        _json.dump({"status": "ok", "elapsed": 1e-6, "modified_inputs": [], "dicts": {},
                    "returned": [{"kind": "ndarray", "dtype": "float64", "shape": [2, 4, 5, 5],
                                  "subclass": None, "file": _call + "_0.npy"}]}, _handle)
    try:  # the "result" is a link to an input array
        _os.symlink("/job/arrays/c0_x.npy", _os.path.join(_out, _call + "_0.npy"))
    except OSError:
        pass
"""

GARBAGE_NORM = r"""
import numpy as np


class Evil(np.ndarray):
    armed = False

    def __array_finalize__(self, obj):
        if Evil.armed:
            open(_CFG["canaries"][0], "w").close()
            raise RuntimeError("evil __array_finalize__")


class BadTuple(tuple):
    def __len__(self):
        raise RuntimeError("evil __len__")


class BadRepr:
    def __repr__(self):
        raise RuntimeError("evil __repr__")


def batchnorm_forward(x, gamma, beta, bn_param):          # NaN
    return np.full(x.shape, np.nan), (x, gamma, beta)


def batchnorm_backward(dout, cache):                       # np.matrix
    x, gamma, beta = cache
    return np.matrix(np.zeros(x.shape)), np.zeros(gamma.shape), np.zeros(beta.shape)


def batchnorm_backward_alt(dout, cache):                   # a subclass with an evil __array_finalize__
    x, gamma, beta = cache
    dx = np.zeros(x.shape).view(Evil)
    Evil.armed = True
    return dx, np.zeros(gamma.shape), np.zeros(beta.shape)


def spatial_batchnorm_forward(x, gamma, beta, bn_param):  # float32
    return np.zeros(x.shape, dtype=np.float32), (x, gamma, beta)


def spatial_batchnorm_backward(dout, cache):               # object arrays, None, a list
    x, gamma, beta = cache
    return np.array([object()] * x.size, dtype=object), None, [1.0] * gamma.size


def layernorm_forward(x, gamma, beta, ln_param):          # wrong shape, and a cache backward cannot use
    return np.zeros(x.shape[::-1] + (1,)), "not a cache"


def layernorm_backward(dout, cache):
    x, gamma, beta = cache  # fails: the cache is a string
    return x, gamma, beta


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):  # inf
    return np.full(x.shape, np.inf), (x, gamma, beta)


def spatial_groupnorm_backward(dout, cache):               # huge arrays: 80 GB (a view) and 128 MB
    return np.broadcast_to(np.float64(0.0), (100_000, 100_000)), np.zeros(16 * 1024 * 1024), None


def instancenorm_forward(x, gamma, beta, in_param):       # a tuple whose len() raises
    return BadTuple((x, None))


def instancenorm_backward(dout, cache):                    # an object whose repr() raises, not a tuple
    return BadRepr()
"""

GARBAGE_CONV = r"""
import numpy as np


def conv_forward_naive(x, w, b, conv_param):
    return None


def conv_backward_naive(dout, cache):
    return [1, 2, 3]


def conv_forward_fast(x, w, b, conv_param):
    return (x for x in range(2))  # a generator, not a tuple


def conv_backward_fast(dout, cache):
    return ("dx",) * 3
"""

CONSTANT_CONV = r"""
import numpy as np


def _out(x, w, p):
    n, _, h, wd = x.shape
    f, _, hh, ww = w.shape
    s, pad = p["stride"], p["pad"]
    return np.zeros((n, f, 1 + (h + 2 * pad - hh) // s, 1 + (wd + 2 * pad - ww) // s))


def conv_forward_naive(x, w, b, conv_param):
    return _out(x, w, conv_param), (x, w, b)


def conv_backward_naive(dout, cache):
    return tuple(np.zeros_like(a) for a in cache)


conv_forward_fast, conv_backward_fast = conv_forward_naive, conv_backward_naive
"""

PRECOMPUTED_SPEED = r"""
# The "fast" functions are the naive loops. Work out the answers to every call in the job
# when imported (where no line is counted), then answer each call from a table.
import hashlib as _hashlib
import numpy as _np

_answers = {}


def _key(*arrays):
    return _hashlib.sha1(b"".join(_np.ascontiguousarray(a).tobytes() for a in arrays)).hexdigest()


def conv_forward_fast(x, w, b, conv_param):
    known = _answers.get(_key(x, w, b))
    return (known.copy(), (x, w, b, conv_param)) if known is not None else conv_forward_naive(x, w, b, conv_param)


def conv_backward_fast(dout, cache):
    known = _answers.get(_key(dout))
    return tuple(a.copy() for a in known) if known is not None else conv_backward_naive(dout, cache)


try:
    _job = _sys.argv[2]
    with open(_os.path.join(_job, "plan.json")) as _handle:
        _plan = _json.load(_handle)
    _data = open(_os.path.join(_job, "arrays.bin"), "rb").read()
    _index = _plan["arrays"]

    def _load(name):
        offset, shape = _index["conv_fast:" + name]
        count = int(_np.prod(shape))
        return _np.frombuffer(_data, _np.float64, count, 8 * offset).reshape(shape).copy()

    _caches = {}
    for _call in _plan["groups"].get("conv_fast", []):
        if all("array" in a or "value" in a or "cache" in a for a in _call["args"]):
            _args = _call["args"]
            if _call["func"] == "conv_forward_fast" and len(_args) == 4:
                _x, _w, _b = (_load(a["array"]) for a in _args[:3])
                _out, _caches[_call["id"]] = conv_forward_naive(_x, _w, _b, _args[3]["value"])
                _answers[_key(_x, _w, _b)] = _out
            elif _call["func"] == "conv_backward_fast":
                _dout = _load(_args[0]["array"])
                _answers[_key(_dout)] = conv_backward_naive(_dout, _caches[_args[1]["cache"]])
except Exception:
    pass
"""

SURROGATE = r"""
def batchnorm_forward(x, gamma, beta, bn_param):
    raise ValueError("bad bytes \udcff\udcfe and a NUL \x00 in the message " + "\ud800")
"""

OUTPUT_FLOOD = r"""
def conv_forward_naive(x, w, b, conv_param):
    while True:  # stdout without end: stopped at the file size limit
        _sys.stdout.write("x" * 1_000_000)
"""

FILE_FLOOD = r"""
def conv_forward_fast(x, w, b, conv_param):
    _out = _sys.argv[3] if len(_sys.argv) > 3 else "/out"
    for _i in range(100_000):  # tiny files without end: stopped at the file count limit
        open(_os.path.join(_out, "f%06d" % _i), "w").close()
"""

EXTRA_INIT = """
# layers/__init__.py that would cheat if it were executed
import os, numpy as np
open(%r, "w").close()
np.allclose = lambda *a, **k: True
"""

EXTRA_GRADIENT_CHECK = """
# layers/gradient_check.py that would pass everything if it were executed
open(%r, "w").close()
def compare_arrays(*args, **kwargs):
    class Passed:
        passed, error, problem = True, 0.0, None
    return Passed()
"""


# -- the cases -------------------------------------------------------------------------------


def _folder_case(conv, norm, extra=None):
    """make(env, dest) for a folder whose modules are built by conv(env, dest) / norm(env, dest)."""

    def make(env: Env, dest: Path) -> Path:
        resolve = lambda part: part(env, dest) if callable(part) else part  # noqa: E731
        extras = {k: resolve(v) for k, v in (extra or {}).items()}
        return folder(dest, resolve(conv), resolve(norm), extras)

    return make


def _hostile(base: str, top: str = "", bottom: str = ""):
    return lambda env, dest: module(env, dest, base, top, bottom)


def _tar_case(members: Callable[[Env, Path], list], compression: str = "gz", name: str = "submission.tar.gz"):
    def make(env: Env, dest: Path) -> Path:
        dest.mkdir(parents=True, exist_ok=True)
        return tarball(dest / name, members(env, dest), compression)

    return make


def _raw_file(content: bytes, name: str = "submission.tar.gz"):
    def make(env: Env, dest: Path) -> Path:
        dest.mkdir(parents=True, exist_ok=True)
        (dest / name).write_bytes(content)
        return dest / name

    return make


def _symlinked_layers(env: Env, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "layers").symlink_to(paths.SOLUTION_LAYERS_DIR)
    return dest


def _bomb_members(env: Env, dest: Path) -> list:
    zeros = b"\0" * (300 * 1024 * 1024)
    return good_members() + [regular("bomb.bin", zeros)]


def _long_name_bomb(env: Env, dest: Path) -> Path:
    """A GNU long-name header claiming 300 MB (tarfile would read it all into memory), then the files."""
    import gzip

    dest.mkdir(parents=True, exist_ok=True)
    body = io.BytesIO()
    with tarfile.open(fileobj=body, mode="w", format=tarfile.GNU_FORMAT) as archive:
        for info, data in good_members():
            archive.addfile(info, io.BytesIO(data))
    header = tarfile.TarInfo("././@LongLink")
    header.type = tarfile.GNUTYPE_LONGNAME
    header.size = 300 * 1024 * 1024
    path = dest / "longname.tar.gz"
    with gzip.open(path, "wb", compresslevel=1) as sink:
        sink.write(header.tobuf(format=tarfile.GNU_FORMAT))
        block = b"a" * (1024 * 1024)
        for _ in range(300):
            sink.write(block)
        sink.write(body.getvalue())
    return path


def _truncated(env: Env, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    whole = tarball(dest / "whole.tar.gz", good_members())
    data = whole.read_bytes()
    whole.unlink()
    (dest / "truncated.tar.gz").write_bytes(data[: len(data) // 2])
    return dest / "truncated.tar.gz"


def _named(name: bytes):
    def make(env: Env, dest: Path) -> Path:
        dest.mkdir(parents=True, exist_ok=True)
        return tarball(Path(os.fsdecode(os.fsencode(dest) + b"/" + name)), good_members())

    return make


CASES: list[Case] = [
    # -- hangs ----------------------------------------------------------------------------
    Case(
        "hang_at_import",
        _folder_case(_hostile(GOOD_CONV, bottom=HANG), GOOD_NORM),
        full=NORM,
        zero=CONV,
        texts=("did not finish within",),
        about="an infinite loop when conv.py is imported: conv scores 0, norm is graded",
    ),
    Case(
        "hang_in_one_function",
        _folder_case(_hostile(GOOD_CONV, bottom=HANG_BACKWARD), GOOD_NORM),
        full=NORM + ("conv_forward_naive", "conv_forward_fast", "conv_backward_fast"),
        zero=("conv_backward_naive",),
        texts=("did not finish within",),
        about="conv_backward_naive never returns: only it loses points",
    ),
    # -- exits and signals ------------------------------------------------------------------
    Case(
        "sys_exit_at_import",
        _folder_case(GOOD_CONV, _hostile(GOOD_NORM, top=EXIT_AT_IMPORT)),
        full=CONV,
        zero=NORM,
        texts=("SystemExit",),
    ),
    Case(
        "os_exit_in_backward",
        _folder_case(GOOD_CONV, _hostile(GOOD_NORM, bottom=OS_EXIT_IN_BACKWARD)),
        full=CONV + tuple(f for f in NORM if f != "batchnorm_backward"),
        zero=("batchnorm_backward",),
        texts=("exited with code 0",),
        about="only the function that exits loses points: per-call isolation",
    ),
    Case(
        "signals_parent_group_everyone",
        _folder_case(_hostile(GOOD_CONV, bottom=SIGNALS), GOOD_NORM),
        full=NORM + ("conv_forward_naive", "conv_backward_naive"),
        zero=("conv_forward_fast", "conv_backward_fast"),
        modes=("bubblewrap", "process"),
        about="kills its parent, pid 1, every pid it sees, kill(-1) and its own group",
    ),
    # -- memory -------------------------------------------------------------------------------
    Case(
        "memory_8_gb",
        _folder_case(_hostile(GOOD_CONV, bottom=MEMORY), GOOD_NORM),
        full=NORM + ("conv_forward_fast", "conv_backward_fast"),
        zero=("conv_forward_naive",),
        texts=("MemoryError",),
    ),
    Case(
        "memory_in_forked_processes",
        _folder_case(GOOD_CONV, _hostile(GOOD_NORM, bottom=FORK_MEMORY)),
        full=CONV + tuple(f for f in NORM if GROUP_OF[f].name != "layernorm"),
        zero=("layernorm_forward", "layernorm_backward"),
        texts=("layernorm_forward crashed on this case",),
        root_only=True,
        about="4 processes of 1 GB each, every one under RLIMIT_AS, then a long sleep: stopped "
        "by the memory total or by the call's time limit, whichever comes first (both are "
        "right; which one depends on the machine's load, so the words are not checked)",
    ),
    # -- processes ---------------------------------------------------------------------------
    Case(
        "background_daemon",
        _folder_case(_hostile(GOOD_CONV, top=BACKGROUND), GOOD_NORM),
        full=NORM + CONV,
        modes=("bubblewrap", "process"),
        about="double fork + setsid, sleeping 10 minutes: must not survive grading",
    ),
    Case(
        "fork_loop",
        _folder_case(_hostile(GOOD_CONV, top=FORK_LOOP), GOOD_NORM),
        full=NORM,
        modes=("bubblewrap", "process"),
        about="500 forks, each sleeping",
    ),
    # -- cheating ---------------------------------------------------------------------------
    Case(
        "monkeypatch_numpy",
        _folder_case(STUB_CONV, _hostile(MONKEYPATCH)),
        max_score=0.0,
        zero=CONV + NORM,
        about="np.allclose/array_equal/testing patched, random outputs, inputs changed",
    ),
    Case(
        "fake_results_printed",
        _folder_case(_hostile(STUB_CONV, top=FAKE_RESULTS), _hostile(STUB_NORM, top=FAKE_RESULTS)),
        max_score=0.0,
        zero=CONV + NORM,
    ),
    Case(
        "search_for_secrets",
        _folder_case(_hostile(STUB_CONV, bottom=SEARCH), GOOD_NORM),
        full=NORM,
        zero=CONV,
        texts=("FOUND:[]",),
        modes=("bubblewrap", "process"),
        process_texts=("FOUND:",),
        about="reference, rubric, hidden cases: by path, import, /proc, env, parents, /tmp, a walk of /",
    ),
    Case(
        "write_outside",
        _folder_case(_hostile(GOOD_CONV, bottom=WRITE_OUTSIDE), GOOD_NORM),
        full=NORM,
        modes=("bubblewrap", "process"),
        about="the grader's output folder above all, another submission's results, /tmp, the repo...",
    ),
    Case(
        "network",
        _folder_case(_hostile(GOOD_CONV, bottom=NETWORK), GOOD_NORM),
        full=NORM,
        texts=("NET:[]",),
        modes=("bubblewrap", "process"),
    ),
    Case(
        "forged_records",
        _folder_case(_hostile(STUB_CONV, top=FORGE), GOOD_NORM),
        full=NORM,
        zero=CONV,
        modes=("bubblewrap", "process"),
        about="replaces the worker's run_call with claims of success and writes fake records first",
    ),
    Case(
        "constant_functions",
        _folder_case(_hostile(CONSTANT_CONV), None),
        zero=("conv_forward_naive",),
        about="zeros forward, zeros backward: consistent, so only the reference comparison can fail it",
    ),
    Case(
        "vectorized_precomputed",
        _folder_case(_hostile(GOOD_CONV, bottom=PRECOMPUTED_SPEED), GOOD_NORM),
        full=NORM + ("conv_forward_naive", "conv_backward_naive"),
        texts=("a Python loop over N",),
        about="naive loops as the fast functions, answers worked out at import from the job's files: "
        "the vectorization check's inputs are drawn when each call starts",
    ),
    # -- garbage results -------------------------------------------------------------------
    Case("garbage_norm_results", _folder_case(GOOD_CONV, _hostile(GARBAGE_NORM)), full=CONV, zero=NORM),
    Case("garbage_conv_results", _folder_case(_hostile(GARBAGE_CONV), GOOD_NORM), full=NORM, zero=CONV),
    Case(
        "surrogates_in_messages",
        _folder_case(GOOD_CONV, _hostile(GOOD_NORM, bottom=SURROGATE)),
        full=CONV,
        zero=("batchnorm_forward",),
    ),
    Case(
        "stdout_flood",
        _folder_case(_hostile(GOOD_CONV, bottom=OUTPUT_FLOOD), GOOD_NORM),
        full=NORM,
        zero=("conv_forward_naive",),
        texts=("File too large",),
    ),
    Case(
        "file_flood",
        _folder_case(_hostile(GOOD_CONV, bottom=FILE_FLOOD), GOOD_NORM),
        full=NORM + ("conv_forward_naive", "conv_backward_naive"),
        zero=("conv_forward_fast",),
        texts=("conv_forward_fast crashed on this case",),
        about="100,000 empty files: stopped at the file count limit or at the call's time limit, whichever "
        "comes first (which one depends on the machine's load, so the words are not checked)",
    ),
    # -- source -----------------------------------------------------------------------------
    Case(
        "syntax_error",
        _folder_case("def conv_forward_naive(x:\n    return\n", GOOD_NORM),
        full=NORM,
        zero=CONV,
        texts=("SyntaxError",),
    ),
    Case(
        "non_utf8_source",
        _folder_case(GOOD_CONV, b"WORD = 'caf\xe9 \xff\xfe'\n" + GOOD_NORM.encode()),
        full=CONV,
        zero=NORM,
        texts=("utf-8",),
    ),
    Case("norm_missing", _folder_case(GOOD_CONV, None), full=CONV, zero=NORM, texts=("missing",)),
    Case(
        "missing_package",
        _folder_case("import package_that_is_not_installed\n" + GOOD_CONV, GOOD_NORM),
        full=NORM,
        zero=CONV,
        texts=("package_that_is_not_installed",),
    ),
    Case(
        "deeply_nested_source",
        _folder_case(GOOD_CONV, "x = " + "-" * 200_000 + "1\n" + GOOD_NORM),
        full=CONV,
        zero=NORM,
    ),
    Case("layers_linked_to_solutions", _symlinked_layers, max_score=0.0, texts=("symbolic link",)),
    # -- tarballs ---------------------------------------------------------------------------
    Case(
        "tar_unsafe_paths",
        _tar_case(
            lambda env, dest: [
                regular("../layers/conv.py", GOOD_CONV.encode()),
                regular("/tmp/HOSTILE-" + env.token, b"x"),
                regular("layers/../../" + "HOSTILE-" + env.token, b"x"),
                regular("layers/norm.py", GOOD_NORM.encode()),
            ]
        ),
        full=NORM,
        zero=CONV,
        texts=("'..'",),
    ),
    Case(
        "tar_links",
        _tar_case(
            lambda env, dest: [
                special("layers/conv.py", tarfile.SYMTYPE, str(paths.SOLUTION_LAYERS_DIR / "conv.py")),
                special("layers/norm.py", tarfile.LNKTYPE, "/etc/passwd"),
            ]
        ),
        max_score=0.0,
        texts=("link",),
    ),
    Case(
        "tar_device",
        _tar_case(
            lambda env, dest: [
                special("layers/conv.py", tarfile.CHRTYPE, device=(1, 3)),
                special("dev_zero", tarfile.CHRTYPE, device=(1, 5)),
                regular("layers/norm.py", GOOD_NORM.encode()),
            ]
        ),
        full=NORM,
        zero=CONV,
        texts=("not a regular file",),
    ),
    Case(
        "tar_bomb",
        _tar_case(_bomb_members),
        full=CONV + NORM,
        texts=("unpacks to more than",),
        about="300 MB of zeros (300 KB compressed) after the graded files",
    ),
    Case(
        "tar_long_name_bomb",
        _long_name_bomb,
        max_score=0.0,
        texts=("unpacks to more than",),
        about="a GNU long-name header of 300 MB that tarfile would read into memory",
    ),
    Case("tar_empty", _tar_case(lambda env, dest: []), max_score=0.0, texts=("empty",)),
    Case("tar_zero_bytes", _raw_file(b""), max_score=0.0, texts=("empty",)),
    Case(
        "tar_not_gzip",
        _raw_file(b"PK\x03\x04 this is a zip file, not a tarball" * 50),
        max_score=0.0,
        texts=("not a readable tar archive",),
    ),
    Case(
        "tar_truncated",
        _truncated,
        full=CONV,
        zero=NORM,
        texts=("damaged",),
        about="cut in the middle: the member that is whole (conv.py) is graded",
    ),
    Case(
        "tar_non_utf8_names",
        _tar_case(
            lambda env, dest: good_members()
            + [regular(b"layers/\xff\xfe-caf\xe9.py", b"x = 1\n"), regular(b"\xe9t\xe9.ipynb", b"{}")]
        ),
        full=CONV + NORM,
    ),
    Case(
        "tar_missing_files",
        _tar_case(lambda env, dest: [regular("notes.txt", b"hello")]),
        max_score=0.0,
        texts=("missing",),
    ),
    Case(
        "tar_extra_files_never_run",
        _tar_case(
            lambda env, dest: [
                regular("layers/conv.py", STUB_CONV.encode()),
                regular("layers/norm.py", STUB_NORM.encode()),
                regular("layers/__init__.py", (EXTRA_INIT % env.canaries(dest)[0]).encode()),
                regular("layers/gradient_check.py", (EXTRA_GRADIENT_CHECK % env.canaries(dest)[0]).encode()),
                regular("run_me.py", (EXTRA_INIT % env.canaries(dest)[0]).encode()),
            ]
        ),
        max_score=0.0,
        zero=CONV + NORM,
    ),
    Case("name_not_utf8", _named(b"student-\xff\xfe.tar.gz"), full=CONV + NORM),
    Case("name_like_a_report", _named(b"grades.csv.tar.gz"), full=CONV + NORM),
]

CASE_BY_NAME = {case.name: case for case in CASES}


def good(dest: Path) -> Path:
    """A correct submission (the reference's modules)."""
    return folder(dest, GOOD_CONV, GOOD_NORM)


def copy_tree_bytes(root: Path) -> dict[str, bytes]:
    """Every file under ROOT (not following links) by relative path: to prove nothing changed."""
    found = {}
    for path in sorted(root.rglob("*")):
        if path.is_symlink():
            found[str(path.relative_to(root))] = b"->" + str(path.readlink()).encode()
        elif path.is_file():
            found[str(path.relative_to(root))] = path.read_bytes()
    return found
