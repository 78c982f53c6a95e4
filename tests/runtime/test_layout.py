"""The vendored packages' shape: small modules, no import cycle, optional parts kept optional,
and every distribution they import declared, with a range, in a generated pyproject.

A generated server carries `_tasks.py` only when its spec has a task tool, and
`http_client/` only when it calls HTTP APIs, so nothing else may import them; and a server
must install what its runtime imports from a fresh virtual environment, whatever `mcp`
happens to bring today.
"""

from __future__ import annotations

import ast
import sys
from importlib.metadata import packages_distributions, version
from pathlib import Path

import pytest
from mcpgen.pyproject import RUNTIME_DEPENDENCIES, RUNTIME_EXTRAS
from mcpgen.render import vendored_sources
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

# One concern a module, each readable alone (issue 14: "no module over ~600 lines").
MAX_LINES = 600
OPTIONAL = {
    "runtime/_tasks.py",
    "runtime/_tasks_listen.py",
    "runtime/_auth.py",
    "runtime/_auth_tokens.py",
}


def imports_of(source: str, *, type_checking: bool = False) -> list[ast.Import | ast.ImportFrom]:
    """The module's import statements: at run time, or (with `type_checking`) all of them."""
    tree = ast.parse(source)
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                found.append(node)
            elif isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                if type_checking:
                    visit(node.body)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                visit(node.body)  # deferred imports still run
            elif isinstance(node, ast.If | ast.Try | ast.With):
                visit(node.body)

    visit(tree.body)
    return found


def sibling_modules(module: str, source: str, *, type_checking: bool = False) -> set[str]:
    """The vendored modules `module` imports, as paths below `mcpgen/vendored/`."""
    package = Path(module).parent
    found: set[str] = set()
    for node in imports_of(source, type_checking=type_checking):
        if not isinstance(node, ast.ImportFrom) or node.level == 0:
            continue
        base = package
        for _ in range(node.level - 1):
            base = base.parent
        target = base / (node.module or "").replace(".", "/")
        candidates = [target.with_suffix(".py"), target / "__init__.py"]
        candidates += [target / f"{alias.name}.py" for alias in node.names]
        found |= {c.as_posix() for c in candidates if c.as_posix() in vendored_sources()}
    return found


def test_every_module_is_small() -> None:
    sizes = {m: s.count("\n") for m, s in vendored_sources().items()}
    assert {m: n for m, n in sizes.items() if n > MAX_LINES} == {}


@pytest.mark.parametrize("type_checking", [False, True], ids=["run-time", "type-checking"])
def test_no_import_cycle(type_checking: bool) -> None:
    graph = {
        module: sibling_modules(module, source, type_checking=type_checking) - {module}
        for module, source in vendored_sources().items()
    }
    # A package's __init__ importing its own modules is no cycle.
    for module in graph:
        if module.endswith("__init__.py"):
            graph[module] = {m for m in graph[module] if Path(m).parent != Path(module).parent}
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            raise AssertionError(" -> ".join([*path[path.index(module) :], module]))
        if module in done:
            return
        for target in sorted(graph[module]):
            visit(target, [*path, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])


def test_optional_parts_are_imported_by_nothing_that_is_always_there() -> None:
    for module, source in vendored_sources().items():
        if module.startswith("runtime/") and module not in OPTIONAL:
            imported = sibling_modules(module, source, type_checking=True)
            assert not imported & OPTIONAL, f"{module} imports {imported & OPTIONAL}"
            assert not {m for m in imported if m.startswith("http_client/")}, module


def absolute_imports(source: str, *, type_checking: bool = False) -> set[str]:
    """The top-level names of what a module imports from outside its package."""
    names: set[str] = set()
    for node in imports_of(source, type_checking=type_checking):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_http_client_reaches_the_sdk_only_through_the_runtime() -> None:
    for module, source in vendored_sources().items():
        if module.startswith("http_client/"):
            sdk = absolute_imports(source, type_checking=True) & {"mcp", "mcp_types"}
            assert not sdk, f"{module} imports {sdk}"


def test_every_distribution_the_vendored_code_imports_is_declared() -> None:
    owners = packages_distributions()
    declared = {
        canonicalize_name(Requirement(line).name): Requirement(line)
        for line, _ in [*RUNTIME_DEPENDENCIES, *RUNTIME_EXTRAS.values()]
    }
    needed: dict[str, set[str]] = {}
    for module, source in vendored_sources().items():
        for root in absolute_imports(source) - set(sys.stdlib_module_names):
            for distribution in owners.get(root, [root]):
                needed.setdefault(canonicalize_name(distribution), set()).add(module)
    missing = {d: sorted(m) for d, m in needed.items() if d not in declared}
    assert not missing, f"imported by the runtime, not declared: {missing}"
    unused = sorted(set(declared) - set(needed))
    assert not unused, f"declared, imported by no vendored module: {unused}"
    for name, requirement in declared.items():
        assert requirement.specifier, f"{name}: no range"
        assert requirement.specifier.contains(version(name)), (
            f"{name} {version(name)} is installed here, outside {requirement.specifier}"
        )


def test_the_public_surface_is_what_it_says() -> None:
    from mcpgen.vendored import runtime

    assert sorted(runtime.__all__) == sorted(set(runtime.__all__))
    for name in runtime.__all__:
        assert getattr(runtime, name, None) is not None, name
