"""The package layout keeps its promises (docs/ARCHITECTURE.md), read from the imports themselves.

- isolation/ (the only code that starts student processes) depends on nothing
  that judges or reports: it could be reviewed, or replaced, alone;
- reports/ derives files from the results model and never reaches back into
  grading; reports/results.py, the model, is standard library only (so
  run_autograder can write the failure result with the system's Python);
- checks/ never depends on the commands that drive it;
- the worker, which runs alone inside the sandbox, imports only the standard
  library and numpy;
- no import cycles, function-level imports included.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from autograder import paths

PACKAGE = Path(paths.PACKAGE_DIR)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> tuple[set[str], set[str]]:
    """(the autograder modules PATH imports, the top-level names of everything else it imports)."""
    own, other = set(), set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] != "autograder":
                other.add(node.module.split(".")[0])
                continue
            own.add(node.module)
            for alias in node.names:  # `from autograder import paths`: the module autograder.paths
                candidate = f"{node.module}.{alias.name}"
                if (PACKAGE.parent / candidate.replace(".", "/")).with_suffix(".py").is_file():
                    own.add(candidate)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                (own if alias.name.split(".")[0] == "autograder" else other).add(alias.name.split(".")[0])
    own.discard("autograder")
    return own, other


# A package importing its own submodules (`from autograder.mistakes import conv` in its __init__) is no edge.
GRAPH = {module_name(p): imports(p)[0] - {module_name(p)} for p in PACKAGE.rglob("*.py")}


def test_the_graph_is_read():
    assert GRAPH["autograder.grade"] >= {"autograder.isolation.supervisor", "autograder.checks.judge"}
    assert "autograder.reports.results" in GRAPH["autograder.checks.gates"]


def allowed(module: str, prefixes: tuple[str, ...]) -> set[str]:
    """The imports of MODULE that start with none of PREFIXES."""
    return {d for d in GRAPH[module] if not d.startswith(prefixes)}


def test_isolation_depends_on_nothing_that_judges_or_reports():
    for module in (m for m in GRAPH if m.startswith("autograder.isolation")):
        assert not allowed(module, ("autograder.isolation", "autograder.paths")), module


def test_reports_never_reach_back_into_grading():
    for module in (m for m in GRAPH if m.startswith("autograder.reports")):
        assert not allowed(module, ("autograder.reports", "autograder.contract", "autograder.mistakes")), module
    own, other = imports(PACKAGE / "reports" / "results.py")
    assert not own and other <= set(sys.stdlib_module_names), other


def test_checks_never_depend_on_what_drives_them():
    drivers = (
        "autograder.grade",
        "autograder.batch",
        "autograder.cli",
        "autograder.shard",
        "autograder.gradescope",
        "autograder.release",
    )
    for module in (m for m in GRAPH if m.startswith("autograder.checks")):
        assert not {d for d in GRAPH[module] if d.startswith(drivers)}, module
        assert not {
            d for d in GRAPH[module] if d.startswith("autograder.reports.") and d != "autograder.reports.results"
        }


def test_the_worker_imports_only_the_standard_library_and_numpy():
    own, other = imports(PACKAGE / "isolation" / "worker.py")
    assert not own
    assert other <= set(sys.stdlib_module_names) | {"numpy", "layers"}, other  # layers: the code it grades


def test_no_import_cycles():
    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for dependency in sorted(GRAPH.get(module, ())):
            if state.get(dependency) == "open":
                raise AssertionError("import cycle: " + " -> ".join(path[path.index(dependency) :] + [dependency]))
            if dependency not in state:
                visit(dependency, path + [dependency])
        state[module] = "done"

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [module])


def test_every_check_method_of_the_plans_has_one_judge_and_every_judge_is_used():
    from autograder.checks.methods import METHODS
    from autograder.checks.plan import build_plan
    from autograder.contract import GROUPS
    from autograder.rubric import load_rubric

    rubric = load_rubric()
    used = {check.method for group in GROUPS for check in build_plan(group, rubric.seed, rubric).checks}
    assert used == set(METHODS)
