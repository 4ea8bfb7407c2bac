"""Where the kit's files are. Every other module asks here, nowhere else.

The kit runs from a checkout (or an unpacked Gradescope bundle) with this layout:
`autograder/` (this package), `solutions/` (the instructor's source),
`assignment/` (the generated student release) and `collate.sh`.
"""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
SOLUTIONS_DIR = REPO_ROOT / "solutions"
SOLUTION_LAYERS_DIR = SOLUTIONS_DIR / "layers"
ASSIGNMENT_DIR = REPO_ROOT / "assignment"
COLLATE_SCRIPT = REPO_ROOT / "collate.sh"
HANDOUT_TEMPLATES_DIR = PACKAGE_DIR / "handout"
RUBRIC_FILE = PACKAGE_DIR / "rubric.toml"

# The only modules a student's grade depends on (SPEC section 1). Everything
# else in `layers/` is given code; the grader always uses its own copy of it.
STUDENT_MODULES = ("conv.py", "norm.py")
# The package name students import (`from layers.conv import ...`).
LAYERS_PACKAGE = "layers"
# Name of the checksum manifest written into the handout (sha256sum format).
MANIFEST_NAME = "MANIFEST.sha256"
