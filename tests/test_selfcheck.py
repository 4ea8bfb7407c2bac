"""`python -m layers.selfcheck`, the quick self-check collate.sh runs (given code).

It runs in a real released handout, as a student runs it, on the stubs, on the
reference solutions, and on the reference with one planted bug at a time
(appended to the module, so the tests do not depend on how the reference is
written). Whatever it finds, it prints one line per function and exits 0.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import autograder_command

REPO = Path(__file__).resolve().parents[1]
SOLUTION_LAYERS = REPO / "solutions" / "layers"
FUNCTIONS = (
    "conv_forward_naive", "conv_backward_naive", "conv_forward_fast", "conv_backward_fast",
    "batchnorm_forward", "batchnorm_backward", "batchnorm_backward_alt",
    "spatial_batchnorm_forward", "spatial_batchnorm_backward", "layernorm_forward", "layernorm_backward",
    "spatial_groupnorm_forward", "spatial_groupnorm_backward", "instancenorm_forward", "instancenorm_backward",
)
ERROR_NUMBER = r"\d\.\de[-+]\d\d"


@pytest.fixture
def reference(handout) -> Path:
    """The handout with the reference conv.py and norm.py in place of the stubs."""
    for name in ("conv.py", "norm.py"):
        shutil.copyfile(SOLUTION_LAYERS / name, handout / "layers" / name)
    return handout


def selfcheck(root: Path, *names: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-B", "-m", "layers.selfcheck", *names], cwd=root, env=env,
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)
    result.seconds = time.monotonic() - started  # type: ignore[attr-defined]
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == "", result.stderr
    return result


def statuses(output: str) -> dict[str, str]:
    found = {}
    for line in output.splitlines():
        name, sep, status = line.partition(": ")
        if sep and name in FUNCTIONS:
            found[name] = status
    return found


def plant(root: Path, module: str, code: str) -> int:
    """Append `code` to layers/<module>; return the line number its first line gets."""
    path = root / "layers" / module
    source = path.read_text(encoding="utf-8")
    if not source.endswith("\n"):
        source += "\n"
    first = len(source.splitlines()) + 1
    path.write_text(source + textwrap.dedent(code).lstrip("\n"), encoding="utf-8")
    return first


# ------------------------------------------------------------------ baselines


def test_stubs_are_all_not_implemented_on_one_screen(handout):
    result = selfcheck(handout)
    found = statuses(result.stdout)
    assert found == {name: "NOT IMPLEMENTED" for name in FUNCTIONS}, result.stdout
    assert len(result.stdout.splitlines()) <= 24
    assert "0 ok, 15 not implemented, 0 to look at" in result.stdout
    assert result.seconds < 30


def test_reference_is_all_ok_in_seconds(reference):
    result = selfcheck(reference)
    assert statuses(result.stdout) == {name: "ok" for name in FUNCTIONS}, result.stdout
    assert "15 ok, 0 not implemented, 0 to look at" in result.stdout
    assert len(result.stdout.splitlines()) <= 24
    assert result.seconds < 30
    assert not list(reference.rglob("__pycache__"))


def test_only_the_named_functions(reference):
    result = selfcheck(reference, "layernorm_backward", "conv_forward_fast")
    assert statuses(result.stdout) == {"layernorm_backward": "ok", "conv_forward_fast": "ok"}


def test_unknown_name_is_explained_and_exits_zero(reference):
    result = selfcheck(reference, "conv_forward_slow")
    assert "unknown function(s): conv_forward_slow" in result.stdout
    assert "conv_forward_naive" in result.stdout


def test_help(reference):
    assert "python -m layers.selfcheck" in selfcheck(reference, "--help").stdout


# ----------------------------------------------------------------- planted bugs

BUGS = {
    "wrong dx": ("norm.py", """
        _reference_layernorm_backward = layernorm_backward
        def layernorm_backward(dout, cache):
            dx, dgamma, dbeta = _reference_layernorm_backward(dout, cache)
            return dx * 1.1, dgamma, dbeta
        """, {"layernorm_backward": rf"gradient check FAILED \(dx error {ERROR_NUMBER}\)"}),
    "wrong dw": ("conv.py", """
        _reference_conv_backward_naive = conv_backward_naive
        def conv_backward_naive(dout, cache):
            dx, dw, db = _reference_conv_backward_naive(dout, cache)
            return dx, dw[:, :, ::-1, ::-1].copy(), db
        """, {"conv_backward_naive": rf"gradient check FAILED \(dw error {ERROR_NUMBER}\)"}),
    "fast differs from naive": ("conv.py", """
        _reference_conv_forward_fast = conv_forward_fast
        def conv_forward_fast(x, w, b, conv_param):
            out, cache = _reference_conv_forward_fast(x, w, b, conv_param)
            return out + 1e-3, cache
        """, {"conv_forward_fast": rf"FAILED \(differs from conv_forward_naive \(out error {ERROR_NUMBER}\)\)",
              "conv_forward_naive": "ok"}),
    "alt differs slightly": ("norm.py", """
        _reference_batchnorm_backward_alt = batchnorm_backward_alt
        def batchnorm_backward_alt(dout, cache):
            dx, dgamma, dbeta = _reference_batchnorm_backward_alt(dout, cache)
            return dx * (1 + 5e-7), dgamma, dbeta
        """, {"batchnorm_backward_alt": rf"FAILED \(differs from batchnorm_backward \(dx error {ERROR_NUMBER}\)\)",
              "batchnorm_backward": "ok"}),
    "float32 output": ("norm.py", """
        _reference_instancenorm_forward = instancenorm_forward
        def instancenorm_forward(x, gamma, beta, in_param):
            out, cache = _reference_instancenorm_forward(x, gamma, beta, in_param)
            return out.astype(np.float32), cache
        """, {"instancenorm_forward": r"FAILED \(out has dtype float32, expected float64\)",
              "instancenorm_backward": "not checked: instancenorm_forward must work first"}),
    "wrong shape": ("conv.py", """
        _reference_conv_forward_naive = conv_forward_naive
        def conv_forward_naive(x, w, b, conv_param):
            out, cache = _reference_conv_forward_naive(x, w, b, conv_param)
            return out[:, :, 1:, :], cache
        """, {"conv_forward_naive": r"FAILED \(out has shape \(.*\), expected \(.*\)\)"}),
    "modifies its input": ("norm.py", """
        _reference_spatial_batchnorm_forward = spatial_batchnorm_forward
        def spatial_batchnorm_forward(x, gamma, beta, bn_param):
            result = _reference_spatial_batchnorm_forward(x.copy(), gamma, beta, bn_param)
            x += 1.0
            return result
        """, {"spatial_batchnorm_forward": r"FAILED \(spatial_batchnorm_forward modified its input x\)"}),
    "test mode changes running stats": ("norm.py", """
        _reference_batchnorm_forward = batchnorm_forward
        def batchnorm_forward(x, gamma, beta, bn_param):
            result = _reference_batchnorm_forward(x, gamma, beta, bn_param)
            if bn_param["mode"] == "test":
                bn_param["running_mean"] = bn_param["running_mean"] + 1.0
            return result
        """, {"batchnorm_forward": r"FAILED \(test mode changed bn_param\['running_mean'\]\)"}),
    "no running stats": ("norm.py", """
        _reference_batchnorm_forward = batchnorm_forward
        def batchnorm_forward(x, gamma, beta, bn_param):
            result = _reference_batchnorm_forward(x, gamma, beta, dict(bn_param))
            return result
        """, {"batchnorm_forward": r"FAILED \(train mode did not set bn_param\['running_mean'\]\)"}),
    "missing function": ("norm.py", """
        del spatial_groupnorm_forward
        """, {"spatial_groupnorm_forward": r"MISSING: no function spatial_groupnorm_forward in layers/norm.py",
              "spatial_groupnorm_backward": "not checked: spatial_groupnorm_forward must work first"}),
    "forward still a stub": ("norm.py", """
        def layernorm_forward(x, gamma, beta, ln_param):
            raise NotImplementedError
        """, {"layernorm_forward": "NOT IMPLEMENTED",
              "layernorm_backward": "not checked: layernorm_forward must work first"}),
    "backward still a stub": ("conv.py", """
        def conv_backward_fast(dout, cache):
            raise NotImplementedError
        """, {"conv_backward_fast": "NOT IMPLEMENTED", "conv_forward_fast": "ok"}),
    "returns one value": ("norm.py", """
        _reference_layernorm_forward = layernorm_forward
        def layernorm_forward(x, gamma, beta, ln_param):
            return _reference_layernorm_forward(x, gamma, beta, ln_param)[0]
        """, {"layernorm_forward": r"FAILED \(returned ndarray, expected a pair \(out, cache\)\)"}),
    "calls exit": ("norm.py", """
        def batchnorm_backward_alt(dout, cache):
            import sys
            sys.exit(3)
        """, {"batchnorm_backward_alt": r"ERROR: SystemExit: 3 \(layers/norm.py:\d+\)",
              "batchnorm_backward": "ok"}),
}


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_a_planted_bug_is_reported_on_its_line(reference, bug):
    module, code, expected = BUGS[bug]
    plant(reference, module, code)
    result = selfcheck(reference)
    found = statuses(result.stdout)
    assert set(found) == set(FUNCTIONS), result.stdout
    for name, pattern in expected.items():
        assert re.fullmatch(pattern, found[name]), f"{name}: {found[name]!r}\n{result.stdout}"
    untouched_module = "norm.py" if module == "conv.py" else "conv.py"
    prefix = "conv_" if untouched_module == "conv.py" else ("batch", "spatial", "layer", "instance")
    for name in FUNCTIONS:
        if name.startswith(prefix):
            assert found[name] == "ok", f"{name} in the other module: {found[name]}"
    assert len(result.stdout.splitlines()) <= 24


def test_an_exception_names_the_students_file_and_line(reference):
    first = plant(reference, "norm.py", """
        def layernorm_forward(x, gamma, beta, ln_param):
            mean = x.mean(axis=1)
            raise ValueError("shapes do not fit")
        """)
    result = selfcheck(reference)
    assert statuses(result.stdout)["layernorm_forward"] == \
        f"ERROR: ValueError: shapes do not fit (layers/norm.py:{first + 2})"


def test_prints_of_the_student_stay_off_the_summary(reference):
    plant(reference, "conv.py", """
        _reference_conv_forward_naive = conv_forward_naive
        def conv_forward_naive(x, w, b, conv_param):
            for _ in range(1000):
                print("debug", x.shape)
            return _reference_conv_forward_naive(x, w, b, conv_param)
        """)
    result = selfcheck(reference)
    assert "debug" not in result.stdout
    assert statuses(result.stdout)["conv_forward_naive"] == "ok"


def test_an_endless_loop_is_stopped(reference):
    plant(reference, "norm.py", """
        def instancenorm_backward(dout, cache):
            while True:
                pass
        """)
    result = selfcheck(reference)
    assert re.fullmatch(r"TOO SLOW \(stopped after \d+ s\)", statuses(result.stdout)["instancenorm_backward"])
    assert result.seconds < 30


def test_a_module_that_does_not_import_leaves_the_other_checked(reference):
    first = plant(reference, "conv.py", "def broken(:\n    pass\n")
    result = selfcheck(reference)
    assert f"layers/conv.py does not import: SyntaxError: invalid syntax (layers/conv.py:{first})" in result.stdout
    found = statuses(result.stdout)
    for name in FUNCTIONS:
        expected = "ERROR: layers/conv.py does not import" if name.startswith("conv_") else "ok"
        assert found[name] == expected, f"{name}: {found[name]}"


def test_a_broken_harness_is_explained(reference):
    (reference / "layers" / "gradient_check.py").write_text("raise ImportError('gone')\n", encoding="utf-8")
    result = selfcheck(reference)
    found = statuses(result.stdout)
    assert found["layernorm_forward"] == "ok"
    assert found["layernorm_backward"].startswith("gradient check not run: layers/gradient_check.py does not import")
