"""A catalogue of student-code variants: realistic bugs and correct alternatives.

Every other `*.py` file in this folder is one variant. It defines one or more
functions of a student module (`solutions/layers/conv.py` or `norm.py`) with
the same names as the reference's, plus these module-level constants:

    TARGET = "conv"                       # the module: layers/conv.py or layers/norm.py
    FUNCTIONS = ("conv_backward_naive",)  # the functions it replaces
    KIND = "bug"                          # or "correct"
    LOSES = ("conv_backward_naive",)      # bugs: functions that must lose points
    ALSO_AFFECTS = ()                     # bugs: functions that lose points only because
                                          #   their tests call a changed one (optional)
    EXPECT = {"conv_backward_naive": "where (3, 1, 4, 6) is expected"}
                                          # words a failed test of that function must show (optional)
    CATEGORIES = ("vectorized",)          # bugs: the only rubric categories in which the LOSES
                                          #   functions may fail a test (optional)
    CRASHES = True                        # it ends or hangs the process it runs in: never run
                                          #   in-process (benchmarks/threshold_margins.py) (optional)
    XFAIL = "why"                         # a known defect of the grader: the bug is not caught, or
                                          #   the correct variant loses points (optional)

A variant's submission is the reference module with exactly the named
top-level function definitions swapped for the variant's (found with `ast`,
so everything else, comments and solution markers included, stays as it is);
the other student module is the reference unchanged. Every function of the
grader not in LOSES or ALSO_AFFECTS must keep full marks; a correct variant
must get full marks everywhere. A variant with XFAIL documents a known defect
of the grader: its test is expected to fail (strictly: once the grader is
fixed, the XFAIL has to go).

A variant file may hold only: its docstring, `import numpy as np`, the
constants above and the replacing functions (imports of anything else go
inside the functions), so that the spliced submission differs from the
reference in those functions alone.

Used by tests/test_catalogue.py (grades every variant with the real grader)
and benchmarks/threshold_margins.py (measures errors in-process).
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

CATALOGUE_DIR = Path(__file__).resolve().parent
REPO_ROOT = CATALOGUE_DIR.parents[1]
REFERENCE_DIR = REPO_ROOT / "solutions" / "layers"
MODULES = ("conv", "norm")
KINDS = ("bug", "correct")
_CONSTANTS = {"TARGET", "FUNCTIONS", "KIND", "LOSES", "ALSO_AFFECTS", "EXPECT", "XFAIL", "CATEGORIES", "CRASHES"}
_REQUIRED = {"TARGET", "FUNCTIONS", "KIND"}


class CatalogueError(ValueError):
    """A variant file breaks the rules of this catalogue."""


@dataclass(frozen=True)
class Variant:
    name: str
    path: Path
    doc: str
    target: str
    functions: tuple[str, ...]
    kind: str
    loses: tuple[str, ...] = ()
    also_affects: tuple[str, ...] = ()
    expect: dict[str, str] = field(default_factory=dict)
    xfail: str | None = None
    categories: tuple[str, ...] = ()
    crashes: bool = False

    @property
    def summary(self) -> str:
        """The first line of the docstring."""
        return self.doc.strip().splitlines()[0] if self.doc.strip() else self.name

    def module_source(self, module: str) -> str:
        """Source of layers/<module>.py in this variant's submission."""
        reference = reference_source(module)
        if module != self.target:
            return reference
        return splice(reference, self.path.read_text(encoding="utf-8"), self.functions)


def reference_source(module: str) -> str:
    return (REFERENCE_DIR / f"{module}.py").read_text(encoding="utf-8")


def top_level_functions(source: str) -> dict[str, ast.FunctionDef]:
    return {node.name: node for node in ast.parse(source).body if isinstance(node, ast.FunctionDef)}


def _span(node: ast.FunctionDef) -> tuple[int, int]:
    """First and last line (1-based, inclusive) of a definition, decorators included."""
    first = min([node.lineno] + [d.lineno for d in node.decorator_list])
    return first, node.end_lineno


def splice(reference: str, variant: str, functions: tuple[str, ...]) -> str:
    """`reference` with the top-level definitions of `functions` replaced by `variant`'s."""
    ref_defs, var_defs = top_level_functions(reference), top_level_functions(variant)
    lines = reference.splitlines(keepends=True)
    variant_lines = variant.splitlines(keepends=True)
    spans = []
    for name in functions:
        if name not in ref_defs:
            raise CatalogueError(f"the reference defines no top-level function {name}")
        if name not in var_defs:
            raise CatalogueError(f"the variant does not define {name}")
        first, last = _span(var_defs[name])
        spans.append((_span(ref_defs[name]), "".join(variant_lines[first - 1 : last])))
    # From the bottom up, so earlier line numbers stay valid.
    for (first, last), text in sorted(spans, reverse=True):
        if not text.endswith("\n"):
            text += "\n"
        lines[first - 1 : last] = [text]
    return "".join(lines)


def _constants(tree: ast.Module, path: Path) -> dict:
    values = {}
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            continue  # the docstring
        if isinstance(node, ast.Import) and [(a.name, a.asname) for a in node.names] == [("numpy", "np")]:
            continue
        if isinstance(node, ast.FunctionDef):
            continue
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id in _CONSTANTS
        ):
            values[node.targets[0].id] = ast.literal_eval(node.value)
            continue
        raise CatalogueError(
            f"{path.name} line {node.lineno}: only a docstring, `import numpy as np`, "
            f"the constants {sorted(_CONSTANTS)} and function definitions are allowed"
        )
    return values


def read_variant(path: Path) -> Variant:
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source, filename=str(path))
    values = _constants(tree, path)
    missing = _REQUIRED - set(values)
    if missing:
        raise CatalogueError(f"{path.name}: missing {', '.join(sorted(missing))}")
    variant = Variant(
        name=path.stem,
        path=path,
        doc=ast.get_docstring(tree) or "",
        target=values["TARGET"],
        functions=tuple(values["FUNCTIONS"]),
        kind=values["KIND"],
        loses=tuple(values.get("LOSES", ())),
        also_affects=tuple(values.get("ALSO_AFFECTS", ())),
        expect=dict(values.get("EXPECT", {})),
        xfail=values.get("XFAIL"),
        categories=tuple(values.get("CATEGORIES", ())),
        crashes=bool(values.get("CRASHES", False)),
    )
    _validate(variant, tree)
    return variant


def _validate(variant: Variant, tree: ast.Module) -> None:
    from autograder.contract import GRADED_FUNCTIONS

    where = variant.path.name
    if not variant.doc:
        raise CatalogueError(f"{where}: a variant says what it is in its docstring")
    if variant.target not in MODULES:
        raise CatalogueError(f"{where}: TARGET must be one of {MODULES}")
    if variant.kind not in KINDS:
        raise CatalogueError(f"{where}: KIND must be one of {KINDS}")
    defined = [node.name for node in tree.body if isinstance(node, ast.FunctionDef)]
    if sorted(defined) != sorted(variant.functions) or not variant.functions:
        raise CatalogueError(f"{where}: defines {defined} but FUNCTIONS is {list(variant.functions)}")
    reference = top_level_functions(reference_source(variant.target))
    for name in variant.functions:
        if name not in reference:
            raise CatalogueError(f"{where}: layers/{variant.target}.py has no function {name}")
    named = set(variant.loses) | set(variant.also_affects) | set(variant.expect)
    unknown = named - set(GRADED_FUNCTIONS)
    if unknown:
        raise CatalogueError(f"{where}: not graded functions: {sorted(unknown)}")
    if variant.kind == "bug" and not variant.loses:
        raise CatalogueError(f"{where}: a bug names the functions that must lose points in LOSES")
    if variant.kind == "correct" and (variant.loses or variant.also_affects):
        raise CatalogueError(f"{where}: a correct variant has no LOSES or ALSO_AFFECTS")
    if set(variant.loses) & set(variant.also_affects):
        raise CatalogueError(f"{where}: a function is in both LOSES and ALSO_AFFECTS")
    if not set(variant.expect) <= set(variant.loses) | set(variant.also_affects):
        raise CatalogueError(f"{where}: EXPECT names a function that is not expected to lose points")


def load_variants() -> list[Variant]:
    """Every variant of the catalogue, sorted by name."""
    paths = sorted(p for p in CATALOGUE_DIR.glob("*.py") if not p.name.startswith("_"))
    return [read_variant(p) for p in paths]


def write_submission(variant: Variant, folder: Path) -> Path:
    """Write `folder/<variant name>/layers/{conv,norm}.py`; return the submission folder."""
    root = Path(folder) / variant.name
    layers = root / "layers"
    layers.mkdir(parents=True, exist_ok=True)
    for module in MODULES:
        (layers / f"{module}.py").write_text(variant.module_source(module), encoding="utf-8")
    return root


def load_module(variant: Variant | None, module: str) -> ModuleType:
    """Import layers/<module>.py of a variant's submission in this process (None: the reference).

    Each gets a private module name, so variants never replace each other or
    the grader's trusted reference.
    """
    name = f"_catalogue_{variant.name if variant else 'reference'}_{module}"
    if name in sys.modules:
        return sys.modules[name]
    source = variant.module_source(module) if variant else reference_source(module)
    where = variant.path if variant and module == variant.target else REFERENCE_DIR / f"{module}.py"
    spec = importlib.util.spec_from_loader(name, loader=None, origin=str(where))
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[name] = loaded
    exec(compile(source, f"<{variant.name if variant else 'reference'}: layers/{module}.py>", "exec"), loaded.__dict__)
    return loaded
