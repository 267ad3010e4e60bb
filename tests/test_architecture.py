"""The house plan, checked: no import circle, experiments in small modules, no module importing
another's private names, every optional family hook probed through declared capabilities."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "modelcollapse"
#: "About 400 lines" per experiment module, "about 80" per function (issue 23).
MODULE_LINES, FUNCTION_LINES = 430, 80


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _top_level_imports(path: Path) -> list[tuple[str, ast.ImportFrom | ast.Import]]:
    """Imports executed when the module is imported: at module level, outside
    ``if TYPE_CHECKING:`` (imports inside functions run later and cannot make a circle)."""
    tree = ast.parse(path.read_text())
    found = []
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for sub in ast.walk(node) if not isinstance(node, ast.FunctionDef | ast.ClassDef) else []:
            if isinstance(sub, ast.Import | ast.ImportFrom):
                found.append((_module_name(path), sub))
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        for _, node in _top_level_imports(path):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                target = _resolve(name, path.name == "__init__.py", node)
                targets = [target] + [f"{target}.{a.name}" for a in node.names]
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_there_is_no_import_circle():
    assert _cycle(_graph()) is None


def test_the_circle_finder_finds_a_circle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize(
    "path", sorted((PACKAGE / "experiments").rglob("*.py")), ids=lambda p: p.name
)
def test_experiment_modules_are_small(path):
    source = path.read_text()
    assert source.count("\n") <= MODULE_LINES
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            assert node.end_lineno - node.lineno + 1 <= FUNCTION_LINES, node.name


def test_no_experiment_module_imports_private_names():
    bad = []
    for path in (PACKAGE / "experiments").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (
                node.level or "modelcollapse" in (node.module or "")
            ):
                bad += [
                    f"{path.relative_to(PACKAGE)}: {a.name}"
                    for a in node.names
                    if a.name.startswith("_") and not a.name.startswith("__")
                ]
    assert bad == []


def test_optional_hooks_are_never_probed():
    """No ``hasattr``/``getattr`` of a family hook outside the one place that derives the
    capabilities of a family without a record."""
    from modelcollapse.families.capabilities import HOOKS

    probes = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "capabilities.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("hasattr", "getattr")
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
                and node.args[1].value in HOOKS
            ):
                probes.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert probes == []
