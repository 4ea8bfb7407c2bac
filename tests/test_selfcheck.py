"""`python -m layers.selfcheck`, the quick self-check collate.sh runs (given code).

It runs in a real released handout, as a student runs it: on the stubs, on
the reference solutions, and on the reference with one planted bug at a time
(the three of issue 12 written as whole functions, the others appended as
wrappers, so the tests do not depend on how the reference is written). It
prints one line per function and names the function that is wrong; its exit
status is 0 only when every function asked for is ok.
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

REPO = Path(__file__).resolve().parents[1]
SOLUTION_LAYERS = REPO / "solutions" / "layers"
FUNCTIONS = (
    "conv_forward_naive",
    "conv_backward_naive",
    "conv_forward_fast",
    "conv_backward_fast",
    "batchnorm_forward",
    "batchnorm_backward",
    "batchnorm_backward_alt",
    "spatial_batchnorm_forward",
    "spatial_batchnorm_backward",
    "layernorm_forward",
    "layernorm_backward",
    "spatial_groupnorm_forward",
    "spatial_groupnorm_backward",
    "instancenorm_forward",
    "instancenorm_backward",
)
ERROR_NUMBER = r"\d\.\de[-+]\d\d"


@pytest.fixture
def reference(handout) -> Path:
    """The handout with the reference conv.py and norm.py in place of the stubs."""
    for name in ("conv.py", "norm.py"):
        shutil.copyfile(SOLUTION_LAYERS / name, handout / "layers" / name)
    return handout


def selfcheck(root: Path, *names: str, status: int | None = None) -> subprocess.CompletedProcess:
    """Run `python -m layers.selfcheck NAMES` in ROOT as a student does; check the exit status when given."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-B", "-m", "layers.selfcheck", *names],
        cwd=root,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )
    result.seconds = time.monotonic() - started  # type: ignore[attr-defined]
    if status is not None:
        assert result.returncode == status, result.stdout + result.stderr
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
    result = selfcheck(handout, status=1)
    found = statuses(result.stdout)
    assert found == {name: "NOT IMPLEMENTED" for name in FUNCTIONS}, result.stdout
    assert len(result.stdout.splitlines()) <= 24
    assert "0 ok, 15 not implemented, 0 to look at" in result.stdout
    assert result.seconds < 30


def test_reference_is_all_ok_in_seconds(reference):
    result = selfcheck(reference, status=0)
    found = statuses(result.stdout)
    assert all(status.startswith("ok") for status in found.values()) and set(found) == set(FUNCTIONS), result.stdout
    assert found["conv_forward_naive"] == "ok (3 cases)"
    assert found["batchnorm_forward"] == "ok (2 cases, 2 sequences)"
    assert "15 ok, 0 not implemented, 0 to look at" in result.stdout
    assert len(result.stdout.splitlines()) <= 24
    assert result.seconds < 30
    assert not list(reference.rglob("__pycache__"))


def test_verbose_lists_every_case_of_the_reference(reference):
    result = selfcheck(reference, "-v", "conv_forward_naive", "layernorm_backward", status=0)
    for label in (
        "stride 1, pad 0, x (1, 2, 4, 5), w (3, 2, 2, 3)",
        "stride 3, pad 2, x (2, 1, 3, 4)",
        "gradient check, x (3, 5), default eps: ok",
        "second forward call before the backward",
    ):
        assert label in result.stdout, result.stdout


def test_only_the_named_functions(reference):
    result = selfcheck(reference, "layernorm_backward", "conv_forward_fast", status=0)
    assert set(statuses(result.stdout)) == {"layernorm_backward", "conv_forward_fast"}


def test_unknown_name_is_explained(reference):
    result = selfcheck(reference, "conv_forward_slow", status=2)
    assert "unknown function(s): conv_forward_slow" in result.stdout
    assert "conv_forward_naive" in result.stdout


def test_help(reference):
    assert "python -m layers.selfcheck" in selfcheck(reference, "--help", status=0).stdout


# ------------------------------------------------------- the public cases


def test_known_answers_are_the_reference_outputs():
    """EXPECTED in selfcheck.py is what the reference computes (regenerate: python tests/selfcheck_expected.py --write)."""
    import selfcheck_expected

    assert selfcheck_expected.current() == selfcheck_expected.render()


def test_public_shapes_are_not_the_graders_hidden_ones():
    import selfcheck_expected

    from autograder.checks.cases import cases_for
    from autograder.contract import GROUPS

    selfcheck_module = selfcheck_expected.reference_modules()[0]
    public = {}
    for name, cases in selfcheck_module.CASES.items():
        public.setdefault(name, set()).update(case.arrays()["x"].shape for case in cases)
    for name, sequences in selfcheck_module.SEQUENCES.items():
        for sequence in sequences:
            trains, test, _, _ = sequence.make()
            public[name].update(x.shape for x in trains + [test])
    for group in GROUPS:
        cases, sequences = cases_for(group, 0)
        hidden = {case.arrays["x"].shape for case in cases}
        hidden |= {batch.shape for sequence in sequences for batch in sequence.batches}
        assert not public[group.forward] & hidden, group.forward
        assert group.forward in public


def test_the_cases_cover_the_classic_mistakes():
    import selfcheck_expected

    module = selfcheck_expected.reference_modules()[0]
    conv = [(c.param["stride"], c.param["pad"], c.arrays()) for c in module.CONV_CASES]
    assert any(pad == 0 for _, pad, _ in conv)
    assert any((a["x"].shape[2] + 2 * pad - a["w"].shape[2]) % stride for stride, pad, a in conv)
    assert all(a["x"].shape[2] != a["x"].shape[3] for _, _, a in conv)
    assert any(c.groups == 3 and c.arrays()["x"].shape[1] == 6 for c in module.GROUPNORM_CASES)
    for cases in module.CASES.values():
        if cases is not module.CONV_CASES:
            assert any(c.param.get("eps", 0) >= 1e-2 and "tiny variance" in c.label for c in cases)
    assert all(name in module.SEQUENCES for name in ("batchnorm_forward", "spatial_batchnorm_forward"))
    kinds = {(function, type(check).__name__) for function, check in module.TABLE}
    for backward in module.FORWARD_OF:
        assert (backward, "Gradients") in kinds and (backward, "SecondForward") in kinds


def test_the_function_lists_are_the_graders_contract():
    """The student's copy cannot import autograder, so it keeps its own lists; they must be contract.py's."""
    import selfcheck_expected

    from autograder import contract

    module = selfcheck_expected.reference_modules()[0]
    assert module.ALL_FUNCTIONS == contract.GRADED_FUNCTIONS == FUNCTIONS
    assert module.FORWARD_OF == contract.FORWARD_OF
    assert module.MODULE_OF == {f: group.module for group in contract.GROUPS for f in group.functions}
    assert module.CONV_FUNCTIONS == tuple(f for f in module.ALL_FUNCTIONS if module.MODULE_OF[f] == "conv")
    assert module.NORM_FUNCTIONS == tuple(f for f in module.ALL_FUNCTIONS if module.MODULE_OF[f] == "norm")
    # The table drives every check: each graded function has rows, and the vectorization rows are
    # exactly the functions the grader checks for vectorization.
    assert {function for function, _ in module.TABLE} == set(contract.GRADED_FUNCTIONS)
    vectorized = tuple(function for function, check in module.TABLE if isinstance(check, module.Vectorized))
    assert vectorized == contract.VECTORIZED_FUNCTIONS
    # Every forward with public cases is a group's forward, with its inputs in the contract's order.
    assert set(module.CASES) == {group.forward for group in contract.GROUPS}
    for group in contract.GROUPS:
        for case in module.CASES[group.forward]:
            assert tuple(case.arrays()) == group.inputs, (group.forward, case.key)
            assert (case.groups is not None) == (group.signature == "groupnorm"), (group.forward, case.key)


# ----------------------------------------------------------------- planted bugs
# Realistic student bugs, each a whole function as a student would write it.

CONV_BACKWARD_PAD_SLICE = """
    def conv_backward_naive(dout, cache):
        x, w, b, conv_param = cache
        stride, pad = conv_param["stride"], conv_param["pad"]
        N, C, H, W = x.shape
        F, _, HH, WW = w.shape
        _, _, Ho, Wo = dout.shape
        x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        dx_pad = np.zeros_like(x_pad)
        dw = np.zeros_like(w)
        db = dout.sum(axis=(0, 2, 3))
        for n in range(N):
            for f in range(F):
                for i in range(Ho):
                    for j in range(Wo):
                        window = x_pad[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                        dw[f] += window * dout[n, f, i, j]
                        dx_pad[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW] += w[f] * dout[n, f, i, j]
        dx = dx_pad[:, :, pad:-pad, pad:-pad]
        return dx, dw, db
    """

BATCHNORM_DDOF1 = """
    def batchnorm_forward(x, gamma, beta, bn_param):
        mode = bn_param["mode"]
        eps = bn_param.get("eps", 1e-5)
        momentum = bn_param.get("momentum", 0.9)
        running_mean = bn_param.get("running_mean", np.zeros(x.shape[1]))
        running_var = bn_param.get("running_var", np.zeros(x.shape[1]))
        if mode == "train":
            mean = x.mean(axis=0)
            var = x.var(axis=0, ddof=1)
            x_hat = (x - mean) / np.sqrt(var + eps)
            bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mean
            bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
            cache = (x, x_hat, mean, var, gamma, eps)
        else:
            x_hat = (x - running_mean) / np.sqrt(running_var + eps)
            cache = None
        return gamma * x_hat + beta, cache
    """

GROUPNORM_G_SWAPPED = """
    def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
        eps = gn_param.get("eps", 1e-5)
        N, C, H, W = x.shape
        grouped = x.reshape(N, C // G, G, H, W)
        mean = grouped.mean(axis=(2, 3, 4), keepdims=True)
        var = grouped.var(axis=(2, 3, 4), keepdims=True)
        x_hat = ((grouped - mean) / np.sqrt(var + eps)).reshape(N, C, H, W)
        return gamma * x_hat + beta, (x_hat, gamma, var, eps, G)
    """

NOT_CHECKED = re.escape("not checked: {} must be ok first (this check builds on it)").replace("\\{\\}", "{}")
CASE = r"case [^:]+"

BUGS = {
    # The three bugs of issue 12, each blamed on its own function.
    "conv backward dx_pad[pad:-pad] (empty at pad 0)": (
        "conv.py",
        CONV_BACKWARD_PAD_SLICE,
        {
            "conv_backward_naive": r"FAILED gradient check, case stride 1, pad 0, .*: dx has shape "
            r"\(1, 2, 0, 0\), expected \(1, 2, 4, 5\) \(the shape of x\)",
            "conv_backward_fast": r"ok.*",
            "conv_forward_naive": r"ok.*",
            "conv_forward_fast": r"ok.*",
        },
    ),
    "batchnorm variance with ddof=1": (
        "norm.py",
        BATCHNORM_DDOF1,
        {
            "batchnorm_forward": rf"FAILED output, {CASE}: out is wrong \(error .*\)",
            "batchnorm_backward": NOT_CHECKED.format("batchnorm_forward"),
            "batchnorm_backward_alt": NOT_CHECKED.format("batchnorm_forward"),
        },
    ),
    "group norm with G and C // G swapped": (
        "norm.py",
        GROUPNORM_G_SWAPPED,
        {
            "spatial_groupnorm_forward": r"FAILED output, case x \(1, 6, 2, 3\), G 3, default eps: out is wrong .*",
            "spatial_groupnorm_backward": NOT_CHECKED.format("spatial_groupnorm_forward"),
        },
    ),
    # More mistakes, planted by wrapping the reference.
    "wrong dx": (
        "norm.py",
        """
        _reference_layernorm_backward = layernorm_backward
        def layernorm_backward(dout, cache):
            dx, dgamma, dbeta = _reference_layernorm_backward(dout, cache)
            return dx * 1.1, dgamma, dbeta
        """,
        {"layernorm_backward": rf"FAILED gradient check, {CASE}: dx error {ERROR_NUMBER} > 1e-06 .*"},
    ),
    "wrong dw": (
        "conv.py",
        """
        _reference_conv_backward_naive = conv_backward_naive
        def conv_backward_naive(dout, cache):
            dx, dw, db = _reference_conv_backward_naive(dout, cache)
            return dx, dw[:, :, ::-1, ::-1].copy(), db
        """,
        {
            "conv_backward_naive": rf"FAILED gradient check, {CASE}: dw error {ERROR_NUMBER} .*",
            "conv_backward_fast": r"ok.*",
        },
    ),
    "fast forward slightly off": (
        "conv.py",
        """
        _reference_conv_forward_fast = conv_forward_fast
        def conv_forward_fast(x, w, b, conv_param):
            out, cache = _reference_conv_forward_fast(x, w, b, conv_param)
            return out + 1e-3, cache
        """,
        {
            "conv_forward_fast": rf"FAILED output, {CASE}: out is wrong \(error {ERROR_NUMBER} > 1e-07, .*\)",
            "conv_forward_naive": r"ok.*",
            "conv_backward_naive": r"ok.*",
            "conv_backward_fast": NOT_CHECKED.format("conv_forward_fast"),
        },
    ),
    "alt backward slightly off": (
        "norm.py",
        """
        _reference_batchnorm_backward_alt = batchnorm_backward_alt
        def batchnorm_backward_alt(dout, cache):
            dx, dgamma, dbeta = _reference_batchnorm_backward_alt(dout, cache)
            return dx * (1 + 1e-4), dgamma, dbeta
        """,
        {"batchnorm_backward_alt": rf"FAILED gradient check, {CASE}: dx error .*", "batchnorm_backward": r"ok.*"},
    ),
    "eps outside the square root": (
        "norm.py",
        """
        def layernorm_forward(x, gamma, beta, ln_param):
            eps = ln_param.get("eps", 1e-5)
            mean = x.mean(axis=1, keepdims=True)
            x_hat = (x - mean) / (x.std(axis=1, keepdims=True) + eps)
            return gamma * x_hat + beta, (x_hat, gamma)
        """,
        {"layernorm_forward": rf"FAILED output, {CASE}: out is wrong .*"},
    ),
    "global cache": (
        "norm.py",
        """
        _reference_instancenorm_forward = instancenorm_forward
        _reference_instancenorm_backward = instancenorm_backward
        _last = {}
        def instancenorm_forward(x, gamma, beta, in_param):
            out, cache = _reference_instancenorm_forward(x, gamma, beta, in_param)
            _last["cache"] = cache
            return out, None
        def instancenorm_backward(dout, cache):
            return _reference_instancenorm_backward(dout, _last["cache"])
        """,
        {
            "instancenorm_backward": r"FAILED after a second forward call \(case .*\) before the backward, the "
            r"(gradients of case .* are wrong|backward on case .* raised .*).*not in global variables.*",
            "instancenorm_forward": r"ok.*",
        },
    ),
    "momentum swapped": (
        "norm.py",
        """
        _reference_batchnorm_forward = batchnorm_forward
        def batchnorm_forward(x, gamma, beta, bn_param):
            param = dict(bn_param)
            param["momentum"] = 1 - bn_param.get("momentum", 0.9)
            out, cache = _reference_batchnorm_forward(x, gamma, beta, param)
            for key in ("running_mean", "running_var"):
                if key in param:
                    bn_param[key] = param[key]
            return out, cache
        """,
        {
            "batchnorm_forward": r"FAILED running averages, case 2 train calls on .*: bn_param\['running_mean'\] "
            r"is wrong .*",
            "batchnorm_backward": r"ok.*",
            "batchnorm_backward_alt": r"ok.*",
        },
    ),
    "float32 output": (
        "norm.py",
        """
        _reference_instancenorm_forward = instancenorm_forward
        def instancenorm_forward(x, gamma, beta, in_param):
            out, cache = _reference_instancenorm_forward(x, gamma, beta, in_param)
            return out.astype(np.float32), cache
        """,
        {
            "instancenorm_forward": rf"FAILED output, {CASE}: out: yours has dtype float32, expected has dtype "
            r"float64 .*",
            "instancenorm_backward": NOT_CHECKED.format("instancenorm_forward"),
        },
    ),
    "wrong shape": (
        "conv.py",
        """
        _reference_conv_forward_naive = conv_forward_naive
        def conv_forward_naive(x, w, b, conv_param):
            out, cache = _reference_conv_forward_naive(x, w, b, conv_param)
            return out[:, :, 1:, :], cache
        """,
        {
            "conv_forward_naive": rf"FAILED output, {CASE}: out: yours has shape \(.*\), expected has shape \(.*\)",
            "conv_forward_fast": r"ok.*",
        },
    ),
    "modifies its input": (
        "norm.py",
        """
        _reference_spatial_batchnorm_forward = spatial_batchnorm_forward
        def spatial_batchnorm_forward(x, gamma, beta, bn_param):
            result = _reference_spatial_batchnorm_forward(x.copy(), gamma, beta, bn_param)
            x += 1.0
            return result
        """,
        {"spatial_batchnorm_forward": rf"FAILED spatial_batchnorm_forward modified its input x, {CASE}.*"},
    ),
    "test mode changes running stats": (
        "norm.py",
        """
        _reference_batchnorm_forward = batchnorm_forward
        def batchnorm_forward(x, gamma, beta, bn_param):
            result = _reference_batchnorm_forward(x, gamma, beta, bn_param)
            if bn_param["mode"] == "test":
                bn_param["running_mean"] = bn_param["running_mean"] + 1.0
            return result
        """,
        {"batchnorm_forward": r"FAILED test mode changed bn_param\['running_mean'\] .*"},
    ),
    "no running stats": (
        "norm.py",
        """
        _reference_batchnorm_forward = batchnorm_forward
        def batchnorm_forward(x, gamma, beta, bn_param):
            return _reference_batchnorm_forward(x, gamma, beta, dict(bn_param))
        """,
        {
            "batchnorm_forward": r"FAILED train mode did not store bn_param\['running_mean'\], .*",
            "batchnorm_backward": r"ok.*",
        },
    ),
    "missing function": (
        "norm.py",
        """
        del spatial_groupnorm_forward
        """,
        {
            "spatial_groupnorm_forward": r"MISSING: no function spatial_groupnorm_forward in layers/norm.py",
            "spatial_groupnorm_backward": NOT_CHECKED.format("spatial_groupnorm_forward"),
        },
    ),
    "forward still a stub": (
        "norm.py",
        """
        def layernorm_forward(x, gamma, beta, ln_param):
            raise NotImplementedError
        """,
        {"layernorm_forward": "NOT IMPLEMENTED", "layernorm_backward": NOT_CHECKED.format("layernorm_forward")},
    ),
    "fast forward loops over N": (
        "conv.py",
        """
        _reference_conv_forward_fast = conv_forward_fast
        def conv_forward_fast(x, w, b, conv_param):
            outs = [_reference_conv_forward_fast(x[n:n + 1], w, b, conv_param)[0] for n in range(x.shape[0])]
            return np.concatenate(outs), _reference_conv_forward_fast(x, w, b, conv_param)[1]
        """,
        {
            "conv_forward_fast": r"FAILED not vectorized: layers/conv.py line \d+ \(outs = .*\) runs .* times for "
            r"N = 2, 4, 8: a Python loop over N .*",
            "conv_backward_fast": r"ok.*vectorized.*",
            "conv_forward_naive": r"ok.*",
        },
    ),
    "backward still a stub": (
        "conv.py",
        """
        def conv_backward_fast(dout, cache):
            raise NotImplementedError
        """,
        {"conv_backward_fast": "NOT IMPLEMENTED", "conv_forward_fast": r"ok.*"},
    ),
    "returns one value": (
        "norm.py",
        """
        _reference_layernorm_forward = layernorm_forward
        def layernorm_forward(x, gamma, beta, ln_param):
            return _reference_layernorm_forward(x, gamma, beta, ln_param)[0]
        """,
        {"layernorm_forward": r"FAILED returned ndarray, expected a pair \(out, cache\)"},
    ),
    "calls exit": (
        "norm.py",
        """
        def batchnorm_backward_alt(dout, cache):
            import sys
            sys.exit(3)
        """,
        {"batchnorm_backward_alt": r"ERROR: SystemExit: 3 \(layers/norm.py:\d+\)", "batchnorm_backward": r"ok.*"},
    ),
}


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_a_planted_bug_is_blamed_on_its_function(reference, bug):
    module, code, expected = BUGS[bug]
    plant(reference, module, code)
    result = selfcheck(reference, status=1)
    found = statuses(result.stdout)
    assert set(found) == set(FUNCTIONS), result.stdout
    for name, pattern in expected.items():
        assert re.fullmatch(pattern, found[name]), f"{name}: {found[name]!r}\n{result.stdout}"
    untouched_module = "norm.py" if module == "conv.py" else "conv.py"
    prefix = "conv_" if untouched_module == "conv.py" else ("batch", "spatial", "layer", "instance")
    for name in FUNCTIONS:
        if name.startswith(prefix):
            assert found[name].startswith("ok"), f"{name} in the other module: {found[name]}"
    assert len(result.stdout.splitlines()) <= 24


def test_verbose_shows_the_case_the_worst_element_and_both_values(reference):
    plant(reference, "norm.py", BATCHNORM_DDOF1)
    result = selfcheck(reference, "-v", "batchnorm_forward", status=1)
    text = result.stdout
    assert "case: x (4, 3), default eps" in text, text
    assert re.search(r"out: error \S+ > 1e-07 at index \(\d, \d\): yours -?\d\S*, expected -?\d\S*", text), text
    short = selfcheck(reference, "batchnorm_forward", status=1).stdout
    assert "-v shows every case" in short


def test_an_exception_names_the_students_file_and_line(reference):
    first = plant(
        reference,
        "norm.py",
        """
        def layernorm_forward(x, gamma, beta, ln_param):
            mean = x.mean(axis=1)
            raise ValueError("shapes do not fit")
        """,
    )
    result = selfcheck(reference, status=1)
    assert (
        statuses(result.stdout)["layernorm_forward"]
        == f"ERROR: ValueError: shapes do not fit (layers/norm.py:{first + 2})"
    )


def test_long_messages_are_not_cut(reference):
    plant(reference, "norm.py", BATCHNORM_DDOF1)
    line = next(
        line for line in selfcheck(reference, status=1).stdout.splitlines() if line.startswith("batchnorm_forward: ")
    )
    assert len(line) > 100 and line.endswith(")") and "..." not in line


def test_prints_of_the_student_stay_off_the_summary(reference):
    plant(
        reference,
        "conv.py",
        """
        _reference_conv_forward_naive = conv_forward_naive
        def conv_forward_naive(x, w, b, conv_param):
            for _ in range(1000):
                print("debug", x.shape)
            return _reference_conv_forward_naive(x, w, b, conv_param)
        """,
    )
    result = selfcheck(reference, status=0)
    assert "debug" not in result.stdout
    assert statuses(result.stdout)["conv_forward_naive"].startswith("ok")


def test_an_endless_loop_is_stopped(reference):
    plant(
        reference,
        "norm.py",
        """
        def instancenorm_backward(dout, cache):
            while True:
                pass
        """,
    )
    result = selfcheck(reference, status=1)
    assert re.fullmatch(r"TOO SLOW \(stopped after \d+ s\)", statuses(result.stdout)["instancenorm_backward"])
    assert result.seconds < 30


def test_a_module_that_does_not_import_leaves_the_other_checked(reference):
    first = plant(reference, "conv.py", "def broken(:\n    pass\n")
    result = selfcheck(reference, status=1)
    assert f"layers/conv.py does not import: SyntaxError: invalid syntax (layers/conv.py:{first})" in result.stdout
    found = statuses(result.stdout)
    for name in FUNCTIONS:
        if name.startswith("conv_"):
            assert found[name] == "ERROR: layers/conv.py does not import", f"{name}: {found[name]}"
        else:
            assert found[name].startswith("ok"), f"{name}: {found[name]}"


def test_a_broken_harness_is_explained(reference):
    (reference / "layers" / "gradient_check.py").write_text("raise ImportError('gone')\n", encoding="utf-8")
    result = selfcheck(reference, status=1)
    found = statuses(result.stdout)
    assert found["layernorm_forward"].startswith("ok")
    assert found["layernorm_backward"].startswith("not checked: layers/gradient_check.py does not import")
