"""The grader's own copies of the reference layers and the harness.

Loaded from `solutions/layers/` under private module names, so they never
collide with (or can be replaced by) a student's `layers` package, which only
ever exists inside a child process anyway.
"""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from types import ModuleType

from autograder import paths

_PREFIX = "_autograder_trusted_"


@cache
def load(module: str) -> ModuleType:
    """Return solutions/layers/<module>.py (e.g. "conv", "norm", "gradient_check")."""
    path = paths.SOLUTION_LAYERS_DIR / f"{module}.py"
    spec = importlib.util.spec_from_file_location(_PREFIX + module, path)
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = loaded
    spec.loader.exec_module(loaded)
    return loaded


def harness() -> ModuleType:
    return load("gradient_check")
