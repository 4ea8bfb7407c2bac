"""The Gradescope autograder bundle (SPEC section 4): `autograder gradescope --out FILE.zip`.

The zip holds, at its root:

- `setup.sh` (Gradescope runs it once, as root, to build the image): installs
  Python 3.11 and bubblewrap with apt when missing, creates a venv and
  installs exactly the pinned packages: `requirements.txt` (pyproject's pins
  of what grading imports, RUNTIME_PACKAGES) constrained by `constraints.txt`
  (every package they pull in, at the version installed where the bundle was
  built). Then it grades the reference solution once, so a broken image fails
  at build time.
- `run_autograder` (Gradescope runs it per submission): calls
  `python -m autograder.gradescope run` (run.py), and writes a results.json
  with score 0 and the reason itself when that cannot run or overruns.
- what the grader reads at run time, in the repository's layout so
  `paths.py` finds it: the `autograder` package, `solutions/layers/*.py`,
  `assignment/*.ipynb` (the notebook report) and `pyproject.toml`. Nothing else:
  no tests, no .git, no solution notebooks, no handout templates.

The zip is reproducible: sorted members with fixed dates.
"""

from __future__ import annotations

import io
import tomllib
import zipfile
from pathlib import Path

from autograder import paths
from autograder.reports.files import write_bytes_atomic

SCRIPTS_DIR = paths.PACKAGE_DIR / "gradescope" / "scripts"
PYPROJECT = paths.REPO_ROOT / "pyproject.toml"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
EXECUTABLES = ("setup.sh", "run_autograder")
# Package folders the bundle leaves out (relative to the package): build-time templates only.
EXCLUDED_PACKAGE_DIRS = (("gradescope", "scripts"), ("handout",))
# What grading imports (grade, worker, notebooks): the bundle installs these
# pyproject pins and their dependencies, not the instructor's tools (nbgrader,
# Jupyter, matplotlib, scikit-learn), which Gradescope never runs. That keeps
# the image small and its build short, and installable on the Python 3.11.0
# of Ubuntu 22.04 (some of Jupyter's dependencies need 3.11.5 or later).
RUNTIME_PACKAGES = ("numpy", "nbformat")


class BundleError(RuntimeError):
    """The bundle cannot be built from this checkout or environment."""


# --------------------------------------------------------------------- building
def pinned_requirements(pyproject: Path = PYPROJECT) -> list[str]:
    """The pyproject pins of the packages grading imports (RUNTIME_PACKAGES), in pyproject's order."""
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    pins = {}
    for requirement in data["project"]["dependencies"]:
        name = requirement.split("==")[0].split("[")[0].strip().lower()
        pins[name] = requirement
    missing = [name for name in RUNTIME_PACKAGES if name not in pins]
    if missing:
        raise BundleError(f"{pyproject}: no pinned dependency for {', '.join(missing)}")
    loose = [pins[name] for name in RUNTIME_PACKAGES if "==" not in pins[name]]
    if loose:
        raise BundleError(
            f"{pyproject}: dependencies must be pinned with == for a reproducible bundle: " + ", ".join(loose)
        )
    return [requirement for name, requirement in pins.items() if name in RUNTIME_PACKAGES]


def resolved_constraints(requirements: list[str]) -> list[str]:
    """`name==version` for every installed package the requirements pull in (their closure)."""
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    found: dict[str, str] = {}
    seen: set[tuple[str, frozenset]] = set()
    queue = [(Requirement(r), frozenset()) for r in requirements]
    while queue:
        requirement, _ = queue.pop()
        name = canonicalize_name(requirement.name)
        extras = frozenset(requirement.extras)
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        try:
            distribution = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError as error:
            raise BundleError(
                f"{requirement.name} is required but not installed here; build the bundle from "
                "the kit's environment (dev/setup.sh)"
            ) from error
        version = distribution.version
        if requirement.specifier and not requirement.specifier.contains(version, prereleases=True):
            raise BundleError(
                f"{requirement.name} {version} is installed, but {requirement} is required: "
                "reinstall the environment (dev/setup.sh) before building the bundle"
            )
        found[name] = version
        for text in distribution.requires or []:
            child = Requirement(text)
            if child.marker is not None and not any(
                child.marker.evaluate({"extra": e}) for e in (sorted(extras) or [""])
            ):
                continue
            queue.append((child, extras))
    return [f"{name}=={version}" for name, version in sorted(found.items())]


def bundle_members() -> dict[str, Path | bytes]:
    """Archive name -> file (or content) of every member of the bundle."""
    members: dict[str, Path | bytes] = {}
    for name in EXECUTABLES:
        members[name] = SCRIPTS_DIR / name
        if not members[name].is_file():
            raise BundleError(f"{members[name]} is missing: build the bundle from a checkout of the kit")
    requirements = pinned_requirements()
    header = "# Written by `autograder gradescope`; do not edit.\n"
    members["requirements.txt"] = (header + "\n".join(requirements) + "\n").encode()
    members["constraints.txt"] = (
        header + "# Every package the requirements pull in, at the versions the kit "
        "was tested with.\n" + "\n".join(resolved_constraints(requirements)) + "\n"
    ).encode()
    members["pyproject.toml"] = PYPROJECT
    for path in sorted(paths.PACKAGE_DIR.rglob("*")):
        relative = path.relative_to(paths.PACKAGE_DIR)
        if (
            path.is_dir()
            or any(relative.parts[: len(d)] == d for d in EXCLUDED_PACKAGE_DIRS)
            or "__pycache__" in relative.parts
        ):
            continue
        if path.suffix in (".pyc", ".pyo"):
            continue
        members[f"autograder/{relative.as_posix()}"] = path
    layers = sorted(paths.SOLUTION_LAYERS_DIR.glob("*.py"))
    if not any(p.name in paths.STUDENT_MODULES for p in layers):
        raise BundleError(f"{paths.SOLUTION_LAYERS_DIR} has no reference modules")
    for path in layers:
        members[f"solutions/layers/{path.name}"] = path
    for path in sorted(paths.ASSIGNMENT_DIR.glob("*.ipynb")):
        members[f"assignment/{path.name}"] = path
    return members


def build_bundle(out: Path) -> dict[str, Path | bytes]:
    """Write the bundle zip to `out` (replacing it, atomically); return its members."""
    members = bundle_members()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(members):
            source = members[name]
            data = source if isinstance(source, bytes) else source.read_bytes()
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            mode = 0o755 if name in EXECUTABLES else 0o644
            info.external_attr = (0o100000 | mode) << 16
            archive.writestr(info, data)
    write_bytes_atomic(Path(out), buffer.getvalue(), mode=0o644)
    return members
