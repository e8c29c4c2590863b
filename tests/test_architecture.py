"""The layers of docs/architecture.md, enforced: what each module may import, and no cycle.

Imports are read from the source (every `import` a module can run, lazy ones inside
functions included; those under `if TYPE_CHECKING:` are types only and are skipped),
so a rule module that starts parsing text, or a reporter that reaches for the
linter, fails here before review.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "sigcheck"

FORBIDDEN_IN_RULES = ("sigcheck.load", "sigcheck.shell", "sigcheck.report", "sigcheck.cli", "sigcheck.lint")
# Module-name prefixes each layer may import (a module may always import its own layer).
LOCATIONS = ("sigcheck.span", "sigcheck.findings", "sigcheck.runtime")
# The knowledge base: data lookups (servers, inits, launchers) that import only sigcheck.data.
KNOWLEDGE = ("sigcheck.data", "sigcheck.model.knowledge", "sigcheck.model.launchers")
PARSERS = ("sigcheck.load", "sigcheck.shell", *LOCATIONS)
MODEL = ("sigcheck.model", "sigcheck.data", *PARSERS)
RULES = ("sigcheck.rules", "sigcheck.model", "sigcheck.data", "sigcheck.edits", *LOCATIONS)
ALLOWED: dict[str, tuple[str, ...]] = {
    "sigcheck.span": (),
    "sigcheck.runtime": ("sigcheck.span",),
    "sigcheck.findings": (),
    "sigcheck.data": (),
    "sigcheck.discover": ("sigcheck.load.source",),
    "sigcheck.docs": ("sigcheck.findings",),
    "sigcheck.load": PARSERS,
    # The script analysis asks the knowledge base whether a command is a server or a helper.
    "sigcheck.shell": ("sigcheck.shell", *KNOWLEDGE, *LOCATIONS),
    "sigcheck.model.knowledge": ("sigcheck.data",),
    "sigcheck.model.launchers": ("sigcheck.data",),
    "sigcheck.model": MODEL,
    "sigcheck.edits": ("sigcheck.edits", *MODEL),
    "sigcheck.rules.base": (*RULES, "sigcheck.load.dockerfile", "sigcheck.load.source"),
    "sigcheck.rules": RULES,
    # `[tool.sigcheck.images]`: image references are split as the deployments' are.
    "sigcheck.config": ("sigcheck.config", "sigcheck.rules", "sigcheck.load.image_map", *LOCATIONS),
    "sigcheck.pragmas": ("sigcheck.pragmas", "sigcheck.rules", "sigcheck.config", *MODEL),
    "sigcheck.report": (
        "sigcheck.report",
        "sigcheck.docs",
        "sigcheck.rules",
        "sigcheck.load.files",
        "sigcheck",
        *LOCATIONS,
    ),
    # `sigcheck verify`: a command beside the linter, which it calls for the static side.
    "sigcheck.verify": (
        "sigcheck.verify",
        "sigcheck.lint",
        "sigcheck.image_lint",
        "sigcheck.report",
        "sigcheck.model.signals",
        *LOCATIONS,
    ),
}
# The top: these may import any layer.
UNRESTRICTED = (
    "sigcheck.lint",
    "sigcheck.deploy_lint",
    "sigcheck.image_lint",
    "sigcheck.options",
    "sigcheck.fix",
    "sigcheck.cli",
    "sigcheck.server",
    "sigcheck.__main__",
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path, module: str, *, lazy: bool) -> set[str]:
    """The sigcheck modules `module` imports; with `lazy`, those inside functions too."""
    found: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking_only(child):
                for other in child.orelse:
                    visit(other, in_function)
                continue
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import) and (lazy or not in_function):
                found.update(a.name for a in child.names if a.name.split(".")[0] == "sigcheck")
            elif isinstance(child, ast.ImportFrom) and (lazy or not in_function):
                base = child.module or ""
                if child.level:
                    parts = package.split(".")
                    base = ".".join([*parts[: len(parts) - child.level + 1], base])
                if base.split(".")[0] == "sigcheck":
                    for alias in child.names:
                        candidate = f"{base}.{alias.name}"
                        found.add(candidate if candidate in _modules() else base)
            visit(child, inner)

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    found.discard(module)
    return found


def _layer(module: str) -> str | None:
    keys = sorted((k for k in ALLOWED if module == k or module.startswith(k + ".")), key=len)
    return keys[-1] if keys else None


def _allowed(imported: str, prefixes: tuple[str, ...]) -> bool:
    return any(imported == p or imported.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize("module", sorted(_modules()))
def test_module_imports_and_keeps_to_its_layer(module: str) -> None:
    importlib.import_module(module)
    if module == "sigcheck" or any(module == top or module.startswith(top + ".") for top in UNRESTRICTED):
        return
    layer = _layer(module)
    assert layer is not None, f"{module} belongs to no layer of docs/architecture.md"
    allowed = (layer, *ALLOWED[layer])
    wrong = sorted(m for m in _imports(_modules()[module], module, lazy=True) if not _allowed(m, allowed))
    assert not wrong, f"{module} ({layer}) imports {wrong}"


def test_no_rule_module_reads_text_itself() -> None:
    """The promise of the design in one line: rules import neither parsers nor reporters."""
    for module, path in _modules().items():
        if module.startswith("sigcheck.rules.") and module != "sigcheck.rules.base":
            wrong = sorted(m for m in _imports(path, module, lazy=True) if _allowed(m, FORBIDDEN_IN_RULES))
            assert not wrong, f"{module} imports {wrong}"


def test_no_import_cycle() -> None:
    """Module-level imports form no cycle (lazy imports inside functions break none)."""
    modules = _modules()
    graph = {m: {i for i in _imports(p, m, lazy=False) if i in modules} for m, p in modules.items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def walk(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for following in sorted(graph[node]):
            # A package imports its submodules; importing a package's own __init__ is no cycle.
            if following == node.rpartition(".")[0] and node.startswith(following + "."):
                continue
            if state.get(following) == 1:
                cycle = [*stack[stack.index(following) :], following]
                raise AssertionError(" -> ".join(cycle))
            if following not in state:
                walk(following)
        stack.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            walk(module)


def test_the_layer_table_names_real_modules() -> None:
    modules = _modules()
    for prefix in [*ALLOWED, *UNRESTRICTED]:
        assert any(m == prefix or m.startswith(prefix + ".") for m in modules), prefix
