"""The package's shape: folders by domain and by where code runs, no import cycles.

Reads the imports of every module with ``ast`` (module level and inside functions alike, but
not those under ``if TYPE_CHECKING:``, which never run), so it checks the code as written.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "jupyter_binder_ext"
DOMAINS = (
    "launch",
    "limits",
    "persistence",
    "ssh",
    "projects",
    "resources",
    "relaunch",
    "work",
    "environment",
)
FACES = ("server", "terminal")
RUNS_ELSEWHERE = ("hub", "demo")
TOP_LEVEL_MODULES = {"__init__", "_version", "config", "errors", "state"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path, type_level: bool = False) -> set[str]:
    """The package modules `path` imports at run time (module level or in functions), and
    with `type_level` also those under ``if TYPE_CHECKING:``."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child) and not type_level:
                continue
            if isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                if child.module.startswith("jupyter_binder_ext"):
                    found.add(child.module)
            elif isinstance(child, ast.Import):
                found.update(a.name for a in child.names if a.name.startswith("jupyter_binder_ext"))
            visit(child)

    visit(ast.parse(path.read_text()))
    return found


def _graph(type_level: bool = False) -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py") if "labextension" not in p.parts}
    return {
        name: {m for m in _imports(path, type_level) if m in modules}
        for name, path in modules.items()
    }


def test_relative_imports_are_not_used() -> None:
    # Absolute imports name the folder a dependency lives in, which is what this layout shows.
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        relative = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level]
        assert not relative, f"{path}: relative imports at lines {relative}"


def test_no_import_cycles() -> None:
    _assert_no_cycle(_graph())


def test_no_cycles_at_the_type_level_either() -> None:
    """A domain typed on the service layer that builds it is a cycle too, even if only
    mypy follows it: domains declare the small context they use (a Protocol) instead."""
    _assert_no_cycle(_graph(type_level=True))


def _assert_no_cycle(graph: dict[str, set[str]]) -> None:
    done: set[str] = set()

    def walk(name: str, stack: list[str]) -> None:
        if name in stack:
            cycle = [*stack[stack.index(name) :], name]
            raise AssertionError("import cycle: " + " -> ".join(cycle))
        if name in done:
            return
        for dependency in sorted(graph[name]):
            walk(dependency, [*stack, name])
        done.add(name)

    for name in sorted(graph):
        walk(name, [])


def test_domains_never_import_a_face_or_the_hub_side() -> None:
    for name, imported in _graph().items():
        parts = name.split(".")
        if len(parts) < 2 or parts[1] not in (*DOMAINS, "common"):
            continue
        wrong = {m for m in imported if m.split(".")[1] in (*FACES, *RUNS_ELSEWHERE)}
        assert not wrong, f"{name} imports {sorted(wrong)}"


def test_the_single_user_server_never_imports_the_hub_side() -> None:
    graph = _graph()
    for name, imported in graph.items():
        parts = name.split(".")
        if len(parts) > 1 and parts[1] in (*DOMAINS, *FACES, "common"):
            assert not {m for m in imported if m.startswith("jupyter_binder_ext.hub")}, name


def test_a_handful_of_top_level_modules_and_one_folder_per_role() -> None:
    top = {p.stem for p in PACKAGE.glob("*.py")}
    assert top <= TOP_LEVEL_MODULES, top - TOP_LEVEL_MODULES
    folders = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert folders == {*DOMAINS, *FACES, *RUNS_ELSEWHERE, "common"}


MAX_FUNCTION_LINES = 60
LONG_REASON = "# Long on purpose:"


def _long_functions(root: Path) -> list[str]:
    """Functions over MAX_FUNCTION_LINES lines without a ``# Long on purpose: why`` comment
    right above them (or above their decorators)."""
    found = []
    for path in sorted(root.rglob("*.py")):
        if "labextension" in path.parts:
            continue
        lines = path.read_text().splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            above = [line.strip() for line in lines[max(first - 4, 0) : first - 1]]
            if length > MAX_FUNCTION_LINES and not any(
                line.startswith(LONG_REASON) for line in above
            ):
                found.append(f"{path.relative_to(root.parent)}:{node.lineno} {node.name} {length}")
    return found


def test_no_long_function_without_a_reason() -> None:
    """Long procedures hide the rules inside them (issue 18): split them, or say why not."""
    long = _long_functions(PACKAGE) + _long_functions(PACKAGE.parent / "bench")
    assert not long, "functions over 60 lines: " + ", ".join(long)
