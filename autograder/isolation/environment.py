"""What a child may and may not see of the grader's machine: its environment
variables, the folders its Python needs, and the grader's secret folders.
"""

from __future__ import annotations

import os
import sys

from autograder import paths

# Environment of the child: nothing of the grader's, one BLAS thread (fair
# timing, and --jobs N uses N cores), and the OpenBLAS settings this machine
# may need for correct results.
_PASSED_THROUGH = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "LANG", "LC_ALL")


def child_environment() -> dict[str, str]:
    """The environment variables of a child: fixed values, plus the few of `_PASSED_THROUGH` set here."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": "/tmp",
        "TMPDIR": "/tmp",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
    }
    env.update({k: os.environ[k] for k in _PASSED_THROUGH if k in os.environ})
    return env


def secret_paths() -> tuple[str, ...]:
    """What a child must never see: the grader's package (rubric, hidden cases) and the solutions."""
    return tuple(os.path.realpath(p) for p in (paths.PACKAGE_DIR, paths.SOLUTIONS_DIR))


def inside(path: str, folder: str) -> bool:
    """Whether PATH is FOLDER or lies under it (both absolute, as strings)."""
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def python_paths() -> tuple[str, ...]:
    """Folders the child's Python needs: the installation and, for a venv, the venv (those outside /usr)."""
    roots = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix)}
    executable = os.path.realpath(sys.executable)
    if not any(executable.startswith(root + os.sep) for root in roots):
        roots.add(os.path.dirname(executable))
    # sys.executable may be a symlink into the venv; keep the unresolved venv path too.
    roots.add(os.path.abspath(sys.prefix))
    return tuple(sorted(r for r in roots if not r.startswith("/usr/") and r != "/usr"))
