"""The same code always gets the same grade: results.json is byte-identical across runs.

Copies of four submissions (the reference, a fast conv with a Python loop
over N, a batchnorm_backward that ends its process, and a fast conv with wrong
values wherever H != W) are graded together
in one `--jobs 2` batch while the machine is busy with the batch itself, and
once more alone. Apart from `execution_time` (how long grading took) and the
submission's own name, every byte of every results.json is the same: no
score, status or message depends on a clock or on machine load.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from catalogue import load_variants, write_submission
from conftest import autograder_command

VARIANTS = {v.name: v for v in load_variants()}
# A loop over N; a crash in one function; wrong values (on the hidden cases and on the
# vectorization check's inputs, which are drawn anew in every run).
KINDS = ("bug_conv_fast_loop_over_n", "bug_bn_backward_os_exit", "bug_conv_fast_width_uses_height")
COPIES = 3


def normalized(path: Path) -> str:
    results = json.loads(path.read_text(encoding="utf-8"))
    results.pop("execution_time")
    results["extra_data"].pop("submission")
    return json.dumps(results, sort_keys=True)


def test_copies_and_regrades_are_byte_identical(tmp_path):
    sources = {name: write_submission(VARIANTS[name], tmp_path / "sources") for name in KINDS}
    reference = write_submission(VARIANTS[KINDS[0]], tmp_path / "sources" / "ref")
    for module in ("conv", "norm"):
        text = (Path(__file__).parents[1] / "solutions" / "layers" / f"{module}.py").read_text()
        (reference / "layers" / f"{module}.py").write_text(text)
    sources["reference"] = reference
    batch = []
    for name, folder in sources.items():
        for copy in range(COPIES):
            target = tmp_path / "batch" / f"{name}-{copy}"
            shutil.copytree(folder, target)
            batch.append(target)
    out = tmp_path / "out"
    run = subprocess.run(
        [*autograder_command(), "grade", *map(str, batch), "--out", str(out), "--jobs", "2"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    again = tmp_path / "again"
    rerun = subprocess.run(
        [
            *autograder_command(),
            "grade",
            *(str(tmp_path / "batch" / f"{n}-0") for n in sources),
            "--out",
            str(again),
            "--jobs",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    for name in sources:
        texts = {normalized(out / f"{name}-{copy}" / "results.json") for copy in range(COPIES)}
        texts.add(normalized(again / f"{name}-0" / "results.json"))
        assert len(texts) == 1, f"{name}: {len(texts)} different results"
    scores = {name: json.loads((out / f"{name}-0" / "results.json").read_text())["score"] for name in sources}
    assert scores["reference"] == 100
    assert 90 < scores["bug_conv_fast_loop_over_n"] < 100 and 90 < scores["bug_bn_backward_os_exit"] < 100
