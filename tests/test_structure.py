"""The layout's rules, read from the code: imports run one way (no cycles), the gateware never
imports upward (hw/ does not import sim, bench, lm or host; only its command lines import
boards), and no function grows past ~80 lines."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("golden", "hw", "host", "boards", "sim", "bench", "lm")
#: hw's command lines: the only modules under hw/ that may import boards/.
HW_COMMAND_LINES = {"hw.build", "hw.resources"}
MAX_FUNCTION_LINES = 80


def modules() -> dict[str, ast.Module]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = (path, ast.parse(path.read_text(), str(path)))
    return found


def imports(name: str, path: Path, tree: ast.Module, known: set[str]) -> set[str]:
    """The project modules ``name`` imports (a package's own children excepted)."""
    base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                module = ".".join(base[:len(base) - node.level + 1] + ([module] if module else []))
            targets = [module] + [f"{module}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name and not target.startswith(name + "."):
                out.add(target)
    return out


def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports(name, path, tree, set(found)) for name, (path, tree) in found.items()}


def test_no_import_cycles():
    edges = graph()
    state = {}

    def visit(node, trail):
        state[node] = "open"
        for other in sorted(edges[node]):
            if state.get(other) == "open":
                raise AssertionError("import cycle: " + " -> ".join(trail[trail.index(other):] + [other]))
            if other not in state:
                visit(other, trail + [other])
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])


def test_the_gateware_never_imports_upward():
    for name, targets in graph().items():
        if not name.startswith("hw"):
            continue
        for target in targets:
            top = target.split(".")[0]
            assert top not in ("sim", "bench", "lm", "host"), f"{name} imports {target}"
            if top == "boards":
                assert name in HW_COMMAND_LINES, f"{name} imports {target} (only hw's command lines may)"


def test_no_function_is_too_long():
    long = []
    for name, (path, tree) in modules().items():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines} lines)")
    assert not long, "functions over ~80 lines: " + ", ".join(long)
