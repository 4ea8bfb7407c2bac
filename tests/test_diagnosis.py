"""Known-mistake diagnosis (issue 16): the catalogue in autograder/mistakes/, the matcher in
autograder/diagnosis.py, and what the student and the instructor read of it.

The proof set is the bug catalogue of tests/catalogue/, written separately from
autograder/mistakes/: every variant is graded by the real grader (the batch of
conftest.py's `catalogue_batch`, shared with test_catalogue.py), and each
diagnosis it gets is counted as correct (it names a mistake EXPECTED below lists
for that variant and function), wrong (anything else, on any function of any
variant) or none. Wrong must be 0, and a correct variant is never diagnosed.

Run: .venv/bin/python -m pytest -p no:xdist tests/test_diagnosis.py -s (the counts are printed;
about 2-3 minutes on 2 cores for the batch, the unit tests alone take seconds: -k "not catalogue").
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from catalogue import load_module, load_variants

from autograder import trusted
from autograder.checks.diagnosis import Diagnoser, annotate, build_diagnoser, describe, same, student_observation
from autograder.checks.plan import build_plan
from autograder.checks.reference import run_in_process, run_reference
from autograder.contract import GRADED_FUNCTIONS, GROUPS
from autograder.isolation.job import write_job
from autograder.isolation.records import Records
from autograder.mistakes import BY_ID, MISTAKES, Mistake
from autograder.mistakes import norm as norm_mistakes
from autograder.reports.grades import grades_csv
from autograder.reports.results import TestResult as Result
from autograder.reports.summary import analyse, markdown
from autograder.rubric import load_rubric

# Bug-catalogue variant -> {function: the ids of autograder/mistakes/ that are right for it}.
# Variants not listed (stubs, crashes, speed or structure only, mistakes no
# catalogue entry describes) must get no diagnosis at all.
EXPECTED = {
    "bug_bn_alt_missing_xhat_term": {"batchnorm_backward_alt": {"bn_alt_no_xhat_term"}},
    "bug_bn_backward_dgamma_no_sum": {"batchnorm_backward": {"bn_bwd_dgamma_not_summed"}},
    "bug_bn_backward_modifies_dout": {"batchnorm_backward": {"bn_bwd_dout_in_place"}},
    "bug_bn_backward_no_dvar": {"batchnorm_backward": {"bn_bwd_no_var_path"}},
    "bug_bn_backward_no_mean_term": {"batchnorm_backward": {"bn_bwd_no_mean_term"}},
    "bug_bn_modifies_x": {"batchnorm_forward": {"bn_centres_x_in_place"}},
    "bug_bn_momentum_swapped": {"batchnorm_forward": {"bn_momentum_swapped"}},
    "bug_bn_running_not_stored": {"batchnorm_forward": {"bn_running_not_stored"}},
    "bug_bn_running_var_std": {"batchnorm_forward": {"bn_running_var_of_std"}},
    "bug_bn_test_mode_batch_stats": {"batchnorm_forward": {"bn_test_uses_batch_stats"}},
    "bug_bn_test_mode_no_affine": {"batchnorm_forward": {"bn_test_no_affine"}},
    "bug_conv_backward_assign_overlap": {"conv_backward_naive": {"conv_naive_dx_assigned"}},
    "bug_conv_backward_ignores_stride": {"conv_backward_naive": {"conv_naive_backward_stride_ignored"}},
    "bug_conv_backward_slice_pad": {"conv_backward_naive": {"conv_naive_dx_slice_negative_pad"}},
    "bug_conv_fast_backward_assign": {"conv_backward_fast": {"conv_fast_col2im_assigned"}},
    "bug_conv_fast_backward_dout_untransposed": {"conv_backward_fast": {"conv_fast_dout_not_transposed"}},
    "bug_conv_fast_float32_output": {"conv_forward_fast": {"conv_fast_float32"}},
    "bug_conv_fast_pad_one_side": {"conv_forward_fast": {"conv_fast_pad_one_side"}},
    "bug_conv_fast_width_uses_height": {"conv_forward_fast": {"conv_fast_width_from_height"}},
    "bug_conv_forward_flipped_kernel": {"conv_forward_naive": {"conv_naive_kernel_flipped"}},
    "bug_conv_forward_no_bias": {"conv_forward_naive": {"conv_naive_no_bias"}},
    "bug_conv_forward_stride_assert": {"conv_forward_naive": {"conv_naive_stride_assert"}},
    "bug_gn_backward_dgamma_vector": {"spatial_groupnorm_backward": {"gn_bwd_params_vector"}},
    "bug_gn_channels_wrong_order": {"spatial_groupnorm_forward": {"gn_channels_interleaved"}},
    "bug_gn_gamma_as_vector": {"spatial_groupnorm_forward": {"gn_gamma_as_vector"}},
    "bug_gn_stats_per_pixel": {"spatial_groupnorm_forward": {"gn_stats_per_pixel"}},
    "bug_in_ignores_eps": {"instancenorm_forward": {"in_eps_ignored"}},
    "bug_in_over_channels": {"instancenorm_forward": {"in_stats_over_channels"}},
    "bug_in_var_ddof1": {"instancenorm_forward": {"in_var_unbiased"}},
    "bug_ln_backward_dgamma_keepdims": {"layernorm_backward": {"ln_bwd_params_keepdims"}},
    "bug_ln_eps_outside_sqrt": {"layernorm_forward": {"ln_eps_outside_sqrt"}},
    "bug_ln_modifies_x": {"layernorm_forward": {"ln_centres_x_in_place"}},
    "bug_ln_wrong_axis": {"layernorm_forward": {"ln_stats_over_batch"}},
    "bug_spatial_bn_backward_no_transpose": {"spatial_batchnorm_backward": {"sbn_bwd_no_transpose"}},
    "bug_spatial_bn_no_transpose": {"spatial_batchnorm_forward": {"sbn_no_transpose"}},
}

VARIANTS = load_variants()
BUGS = [v for v in VARIANTS if v.kind == "bug"]
CORRECT = [v for v in VARIANTS if v.kind == "correct"]


def judge(variant_name: str, diagnosis: dict[str, list[str]]) -> str:
    """'correct', 'none' or 'wrong' for one bug variant's extra_data["diagnosis"]."""
    expected = EXPECTED.get(variant_name, {})
    for function, ids in diagnosis.items():
        if not set(ids) & expected.get(function, set()):
            return "wrong"
    return "correct" if diagnosis else "none"


# -- the catalogue of known mistakes ---------------------------------------------------------------


def test_known_mistakes_cover_every_function_and_the_kinds_of_mistake():
    assert len(MISTAKES) >= 40
    assert {f for m in MISTAKES for f in m.functions} == set(GRADED_FUNCTIONS)
    assert len(BY_ID) == len(MISTAKES)
    for mistake in MISTAKES:
        assert mistake.id.isidentifier() and mistake.hint.startswith(("your ", "in ")), mistake.id
        assert "maybe" not in mistake.hint.lower() and "probably" not in mistake.hint.lower(), mistake.id
    assert set(EXPECTED) <= {v.name for v in BUGS}
    assert all(ids <= set(BY_ID) for functions in EXPECTED.values() for ids in functions.values())


@pytest.fixture(scope="module")
def setup():
    rubric = load_rubric()
    plans = {g.name: build_plan(g, rubric.seed, rubric) for g in GROUPS}
    return rubric, plans, Diagnoser(plans, rubric)


def test_every_known_mistake_is_usable_on_the_hidden_cases(setup):
    """Each runs without an unexpected exception and differs from the reference on some case."""
    _, _, diagnoser = setup
    assert diagnoser.disabled == {}
    assert diagnoser.seconds < 10


def test_each_known_mistake_as_a_submission_is_named_alone(setup):
    """Results equal to a mistake's name that mistake and no other: the hidden cases tell every two apart."""
    _, _, diagnoser = setup
    for mistake in MISTAKES:
        for function in mistake.functions:
            named = [
                m.id
                for m in diagnoser.mistakes[function]
                if diagnoser.matches(function, m, diagnoser.observed[mistake.id])
            ]
            assert named == [mistake.id], (mistake.id, function)


def test_a_diagnoser_that_cannot_be_built_costs_the_diagnosis_only(setup, capsys):
    rubric, _, _ = setup
    assert build_diagnoser({"broken": object()}, rubric) is None
    assert "no known-mistake diagnosis" in capsys.readouterr().err


def test_the_grader_side_runs_calls_as_the_worker_does(setup, tmp_path):
    """The reference's observations computed by the diagnoser equal the worker's records of them."""
    rubric, plans, diagnoser = setup
    write_job(plans, tmp_path / "job", rubric.call_seconds)
    streams = run_reference(plans, tmp_path / "job", tmp_path / "reference")
    for group in GROUPS:
        records = streams.group(group.name)
        for function in group.functions:
            info = diagnoser.functions[function]
            assert info.calls, function
            for call in info.calls:
                ours = student_observation(records, call, info.names)
                assert ours is not None and same(ours, diagnoser.reference[group.name][call["id"]], 1e-15, 0.0), call[
                    "id"
                ]


def _records(plan, modules, root: Path) -> Records:
    """The records of PLAN run in this process on MODULES ({"conv": ..., "norm": ...}) by the
    worker's own code, as a sandbox writes them."""
    plans = {plan.group.name: plan}
    write_job(plans, root / "job", load_rubric().call_seconds)
    return run_in_process(plans, root / "job", root / "run", modules).group(plan.group.name)


def _variant_records(plan, name: str, root: Path) -> Records:
    variant = next(v for v in VARIANTS if v.name == name)
    return _records(plan, {m: load_module(variant, m) for m in ("conv", "norm")}, root)


def test_a_correct_implementation_is_never_diagnosed(setup, tmp_path):
    _, plans, diagnoser = setup
    reference = {"conv": trusted.load("conv"), "norm": trusted.load("norm")}
    for group in GROUPS:
        records = _records(plans[group.name], reference, tmp_path / group.name)
        assert diagnoser.diagnose(group.name, records, set(group.functions)) == {}
    for variant in CORRECT:
        modules = {m: load_module(variant, m) for m in ("conv", "norm")}
        for group in GROUPS:
            if group.module == variant.target:
                records = _records(plans[group.name], modules, tmp_path / variant.name / group.name)
                assert diagnoser.diagnose(group.name, records, set(group.functions)) == {}, variant.name


def test_a_mistake_equal_to_the_reference_is_never_named(setup, tmp_path):
    rubric, plans, _ = setup
    reference = trusted.load("norm")
    fake = Mistake(
        "ln_same_as_reference",
        ("layernorm_forward",),
        "nothing",
        "your layernorm_forward is right.",
        {"layernorm_forward": reference.layernorm_forward},
    )
    diagnoser = Diagnoser(plans, rubric, mistakes=(fake, BY_ID["ln_eps_outside_sqrt"]))
    assert "ln_same_as_reference" in diagnoser.disabled
    records = _variant_records(plans["layernorm"], "bug_ln_eps_outside_sqrt", tmp_path / "bug")
    found = diagnoser.diagnose("layernorm", records, {"layernorm_forward"})
    assert [m.id for m in found["layernorm_forward"]] == ["ln_eps_outside_sqrt"]
    # Even asked directly, the matcher never names it: a submission equal to it is equal to the
    # reference, so nothing shows a mistake.
    reference = _records(
        plans["layernorm"], {"conv": trusted.load("conv"), "norm": trusted.load("norm")}, tmp_path / "reference"
    )
    info = diagnoser.functions["layernorm_forward"]
    student = {c["id"]: student_observation(reference, c, info.names) for c in info.calls}
    diagnoser.observed[fake.id] = dict(diagnoser.reference["layernorm"])
    assert not diagnoser.matches("layernorm_forward", fake, student)


def test_a_mistake_that_only_crashes_where_the_submission_crashes_is_not_named(setup, tmp_path):
    """A ValueError on the same cases is no evidence (a broadcast error has many causes)."""
    rubric, plans, _ = setup
    norm = trusted.load("norm")

    def crashes_on_tiny_variance(x, gamma, beta, in_param):
        if "eps" in in_param:
            raise ValueError("operands could not be broadcast together")
        return norm.instancenorm_forward(x, gamma, beta, in_param)

    mistake = Mistake(
        "in_crash",
        ("instancenorm_forward",),
        "crash",
        "your instancenorm_forward crashes.",
        {"instancenorm_forward": crashes_on_tiny_variance},
        raises=("ValueError",),
    )
    diagnoser = Diagnoser(plans, rubric, mistakes=(mistake,))
    assert diagnoser.disabled == {}  # it differs from the reference: it raises
    student = _records(
        plans["instancenorm"],
        {
            "conv": trusted.load("conv"),
            "norm": type("M", (), {"instancenorm_forward": staticmethod(crashes_on_tiny_variance)}),
        },
        tmp_path,
    )
    assert diagnoser.diagnose("instancenorm", student, {"instancenorm_forward"}) == {}


def test_several_matching_mistakes_are_named_as_one_of(setup, tmp_path):
    rubric, plans, _ = setup
    original = BY_ID["bn_var_unbiased"]
    twin = Mistake(
        "bn_var_unbiased_twin",
        original.functions,
        "the same, in other words",
        "your batchnorm_forward uses np.var(x, axis=0, ddof=1).",
        original.implementations,
    )
    diagnoser = Diagnoser(plans, rubric, mistakes=(original, twin, BY_ID["bn_eps_outside_sqrt"]))

    def unbiased(x, gamma, beta, bn_param):
        return norm_mistakes.batchnorm_forward(x, gamma, beta, bn_param, ddof=1)

    module = type("M", (), {"batchnorm_forward": staticmethod(unbiased)})
    records = _records(plans["batchnorm"], {"conv": trusted.load("conv"), "norm": module}, tmp_path)
    found = diagnoser.diagnose("batchnorm", records, {"batchnorm_forward"})
    assert [m.id for m in found["batchnorm_forward"]] == ["bn_var_unbiased", "bn_var_unbiased_twin"]
    words = describe(found["batchnorm_forward"])
    assert "one of them" in words and original.hint in words and twin.hint in words
    # Only failing functions are diagnosed.
    assert diagnoser.diagnose("batchnorm", records, {"batchnorm_backward"}) == {}


def test_hints_go_to_the_failing_tests_only_with_their_visibility(setup, tmp_path):
    _, plans, diagnoser = setup
    records = _variant_records(plans["layernorm"], "bug_ln_eps_outside_sqrt", tmp_path)
    tests = [
        Result("layernorm_forward", "output", "output, case a", False, "out: wrong", "after_published", case="a"),
        Result("layernorm_forward", "output", "output, case b", True, "ok", "visible"),
        Result("layernorm_backward", "reference", "gradients", False, "dx: wrong", "visible"),
        Result("layernorm_forward", "purity", "purity", False, "not credited", "visible"),
    ]
    ids = annotate(diagnoser, tests, {"layernorm": records, "batchnorm": Records(tmp_path / "absent")})
    assert ids == {"layernorm_forward": ["ln_eps_outside_sqrt"]}
    hint = BY_ID["ln_eps_outside_sqrt"].hint
    assert hint in tests[0].output and tests[0].visibility == "after_published"
    # Not in passed tests, other functions' tests, or tests shown before the hidden cases' are.
    assert tests[1].output == "ok" and hint not in tests[2].output and tests[3].output == "not credited"
    assert annotate(None, tests, {}) == {}
    # When only a test without a case fails (an input changed in place), the hint goes there.
    records = _variant_records(plans["layernorm"], "bug_ln_modifies_x", tmp_path / "in_place")
    tests = [
        Result("layernorm_forward", "output", "output, case a", True, "ok", "after_published", case="a"),
        Result("layernorm_forward", "purity", "purity", False, "x changed", "visible"),
    ]
    assert annotate(diagnoser, tests, {"layernorm": records}) == {"layernorm_forward": ["ln_centres_x_in_place"]}
    assert BY_ID["ln_centres_x_in_place"].hint in tests[1].output and tests[0].output == "ok"


def test_the_instructor_sees_students_per_mistake_worst_first():
    def results(name, diagnosis):
        return {
            "score": 50,
            "max_score": 100,
            "tests": [],
            "output": "",
            "extra_data": {"submission": name, "seed": 1, "diagnosis": diagnosis, "function_scores": {}},
        }

    rows = [
        ("ann", results("ann", {"layernorm_forward": ["ln_eps_outside_sqrt"]})),
        (
            "bob",
            results(
                "bob",
                {
                    "layernorm_forward": ["ln_eps_outside_sqrt"],
                    "conv_backward_naive": ["conv_naive_dx_slice_negative_pad"],
                },
            ),
        ),
        ("cid", results("cid", {"batchnorm_forward": ["bn_var_unbiased", "bn_eps_outside_sqrt"]})),
        ("dan", results("dan", {})),
    ]
    summary = analyse(rows)
    first = summary.mistakes[0]
    assert (first.students, first.ids, first.words) == (2, ("ln_eps_outside_sqrt",), "eps outside the square root")
    assert [r.students for r in summary.mistakes] == [2, 1, 1]
    text = markdown(summary, None)
    assert "## Diagnosed mistakes, most students first" in text
    assert "| 2/4 | eps outside the square root | `layernorm_forward` | ln_eps_outside_sqrt |" in text
    assert "one of: unbiased variance (N - 1); eps outside the square root" in text
    table = list(csv.reader(io.StringIO(grades_csv(rows))))
    assert table[0][:3] == ["submission", "score", "max_score"] and table[0][-1] == "diagnosed_mistakes"
    assert [r[-1] for r in table[1:]] == [
        "ln_eps_outside_sqrt",
        "ln_eps_outside_sqrt; conv_naive_dx_slice_negative_pad",
        "bn_var_unbiased|bn_eps_outside_sqrt",
        "",
    ]


# -- the bug catalogue, graded by the real grader ----------------------------------------------------


def test_catalogue_diagnosis_counts(catalogue_batch):
    counts = {"correct": [], "none": [], "wrong": []}
    for variant in BUGS:
        diagnosis = catalogue_batch[variant.name]["extra_data"].get("diagnosis", {})
        counts[judge(variant.name, diagnosis)].append(variant.name)
    print(
        f"\ndiagnosis of the {len(BUGS)} catalogued bugs: {len(counts['correct'])} correct, "
        f"{len(counts['none'])} none, {len(counts['wrong'])} wrong"
    )
    print("  none: " + ", ".join(counts["none"]))
    assert counts["wrong"] == [], {n: catalogue_batch[n]["extra_data"]["diagnosis"] for n in counts["wrong"]}
    assert set(counts["correct"]) == set(EXPECTED), set(EXPECTED) - set(counts["correct"])


@pytest.mark.parametrize("variant", [pytest.param(v, id=v.name) for v in CORRECT])
def test_catalogue_correct_variant_gets_no_diagnosis(catalogue_batch, variant):
    assert catalogue_batch[variant.name]["extra_data"]["diagnosis"] == {}


def test_catalogue_reference_gets_no_diagnosis(catalogue_batch):
    assert catalogue_batch["reference"]["extra_data"]["diagnosis"] == {}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_catalogue_bug_feedback_names_its_mistake(catalogue_batch, name):
    results = catalogue_batch[name]
    for function, ids in EXPECTED[name].items():
        hints = [BY_ID[i].hint for i in ids]
        failing = [t for t in results["tests"] if t["tags"] == [function] and t["status"] != "passed"]
        named = [t["name"] for t in failing if any(h in t["output"] for h in hints)]
        # Every failing test of a hidden case names it (or, when none fails, every failing test).
        cases = [t["name"] for t in failing if t["extra_data"]["case"]]
        assert named and named == (cases or [t["name"] for t in failing]), function
    assert not any("Diagnosis (" in t["output"] for t in results["tests"] if t["status"] == "passed")
