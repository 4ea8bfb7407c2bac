"""Generate the student release from `solutions/`.

`generate_handout(out_dir)` writes everything a student gets (SPEC section 2):

    layers/            every module of solutions/layers, solution regions stubbed
    *.ipynb            the notebooks, released by nbgrader (autograder.release.notebooks)
    collate.sh         the submission packer
    README.md, requirements.txt   from autograder/handout/
    MANIFEST.sha256    SHA-256 of every released file, in `sha256sum` format

`assignment/` in the repository is exactly this output, committed; a test
regenerates it and fails on any difference.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from autograder import paths
from autograder.release.stubs import make_stub


class ReleaseError(RuntimeError):
    """The release cannot be written (e.g. the target folder is not empty)."""


def _write_layers(out_dir: Path) -> list[Path]:
    """Write `out_dir/layers/` from the reference package; return the written files."""
    written = []
    layers_out = out_dir / paths.LAYERS_PACKAGE
    layers_out.mkdir(parents=True, exist_ok=True)
    for source_file in sorted(paths.SOLUTION_LAYERS_DIR.glob("*.py")):
        source = source_file.read_text(encoding="utf-8")
        target = layers_out / source_file.name
        target.write_text(make_stub(source, str(source_file)), encoding="utf-8")
        written.append(target)
    return written


def _write_notebooks(out_dir: Path) -> list[Path]:
    """Release the nbgrader source notebooks of `solutions/` into `out_dir`."""
    if not any(paths.SOLUTIONS_DIR.glob("*.ipynb")):
        return []
    from autograder.release.notebooks import release_notebooks

    return list(release_notebooks(paths.SOLUTIONS_DIR, out_dir))


def _copy_extras(out_dir: Path) -> list[Path]:
    """collate.sh and the student README / requirements templates."""
    written = []
    if paths.COLLATE_SCRIPT.exists():
        target = out_dir / paths.COLLATE_SCRIPT.name
        shutil.copyfile(paths.COLLATE_SCRIPT, target)
        target.chmod(0o755)
        written.append(target)
    if paths.HANDOUT_TEMPLATES_DIR.is_dir():
        for template in sorted(paths.HANDOUT_TEMPLATES_DIR.iterdir()):
            if template.is_file():
                target = out_dir / template.name
                shutil.copyfile(template, target)
                written.append(target)
    return written


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_manifest(out_dir: Path, files: list[Path]) -> Path:
    """Write `MANIFEST.sha256` (`<hex>  <relative path>` per line, sorted)."""
    lines = sorted(f"{sha256_of(f)}  {f.relative_to(out_dir).as_posix()}" for f in files)
    manifest = out_dir / paths.MANIFEST_NAME
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return manifest


def generate_handout(out_dir: Path, force: bool = False) -> list[Path]:
    """Write the student handout into `out_dir` and return its files.

    Refuses a non-empty `out_dir` unless `force`, in which case its previous
    content is removed first (so nothing stale survives a regeneration).
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ReleaseError(f"{out_dir} exists and is not a folder")
    if out_dir.exists() and any(out_dir.iterdir()):
        if not force:
            raise ReleaseError(f"{out_dir} is not empty; pass --force to replace its content")
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = _write_layers(out_dir) + _write_notebooks(out_dir) + _copy_extras(out_dir)
    files.append(_write_manifest(out_dir, files))
    return files
