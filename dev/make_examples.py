"""Build the example submissions the README's main command grades.

    python dev/make_examples.py OUT_DIR

Writes collate.sh-style tarballs (members `layers/conv.py`, `layers/norm.py`)
into OUT_DIR: the reference solution, the untouched stubs of assignment/, and
a few realistic student bugs taken from the test catalogue (tests/catalogue),
so the examples and the tests share one definition of each bug.
"""

from __future__ import annotations

import io
import sys
import tarfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from autograder import paths  # noqa: E402
from tests.catalogue import load_variants  # noqa: E402

# Realistic bugs shown in the demo, one per kind of mistake the grader explains.
EXAMPLE_BUGS = (
    "bug_conv_backward_slice_pad",  # [pad:-pad] gives an empty gradient at pad 0
    "bug_conv_fast_calls_naive",  # "vectorized" conv that loops: no vectorization credit
    "bug_bn_momentum_swapped",  # running averages with the weights swapped
    "bug_bn_test_mode_no_affine",  # test mode forgets gamma and beta
)


def write_tarball(path: Path, modules: dict[str, str]) -> None:
    with tarfile.open(path, "w:gz") as archive:
        for name, text in modules.items():
            data = text.encode("utf-8")
            member = tarfile.TarInfo(f"{paths.LAYERS_PACKAGE}/{name}")
            member.size = len(data)
            member.mode = 0o644
            archive.addfile(member, io.BytesIO(data))


def main(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []

    def from_folder(folder: Path) -> dict[str, str]:
        return {m: (folder / m).read_text(encoding="utf-8") for m in paths.STUDENT_MODULES}

    for name, folder in (
        ("reference", paths.SOLUTION_LAYERS_DIR),
        ("untouched-stubs", paths.ASSIGNMENT_DIR / "layers"),
    ):
        write_tarball(out_dir / f"{name}.tar.gz", from_folder(folder))
        written.append(out_dir / f"{name}.tar.gz")
    variants = {v.name: v for v in load_variants()}
    for name in EXAMPLE_BUGS:
        if name not in variants:
            raise SystemExit(f"make_examples: no variant {name} in tests/catalogue")
        variant = variants[name]
        modules = {f"{m}.py": variant.module_source(m) for m in ("conv", "norm")}
        path = out_dir / f"{name.replace('bug_', 'bug-').replace('_', '-')}.tar.gz"
        write_tarball(path, modules)
        written.append(path)
    return written


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    for path in main(Path(sys.argv[1])):
        print(path)
