"""How much of sublimate_runtime an application loads: code lines of the modules it imports.

    python bench/runtime_core.py                       # sync CRUD, then with the asyncio bases
    python bench/runtime_core.py --names IdRepository,Cache

Each figure comes from a fresh interpreter that imports the named public names (a sync CRUD app's
generated modules import `IdRepository` and `IdServiceBase`) and lists the `sublimate_runtime`
modules then in `sys.modules`. A line counts when it holds code: docstrings, comments and blank
lines do not (the runtime's docstrings say why, at length; they are not machinery). The query
features, the cache, routing and the extras load on first use and are not counted until used
(tests/runtime/test_runtime_core.py checks which use loads which). Not a test: it prints.
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import subprocess
import sys
import tokenize
from pathlib import Path

RUNTIME = Path(__file__).resolve().parents[1] / "runtime"
SETS = {
    "sync CRUD": "IdRepository,IdServiceBase",
    "sync + asyncio CRUD": "IdRepository,IdServiceBase,AsyncIdRepository,AsyncIdServiceBase",
}
LOADED = """
import importlib, json, sys
package = importlib.import_module("sublimate_runtime")
for name in sys.argv[1].split(","):
    getattr(package, name)
files = {n: m.__file__ for n, m in sys.modules.items() if n.startswith("sublimate_runtime")}
print(json.dumps(files))
"""


def code_lines(path: Path) -> int:
    """Lines holding a token of code, less docstrings (module, class and function ones)."""
    source = path.read_text(encoding="utf-8")
    docstrings: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            value = first.value if isinstance(first, ast.Expr) else None
            if first and isinstance(value, ast.Constant) and isinstance(value.value, str):
                docstrings.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    skipped = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT}
    lines: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in skipped and token.type != tokenize.ENDMARKER:
            lines.update(range(token.start[0], token.end[0] + 1))
    return len(lines - docstrings)


def loaded(names: str) -> dict[str, Path]:
    done = subprocess.run(
        [sys.executable, "-c", LOADED, names],
        env={"PYTHONPATH": str(RUNTIME)},
        capture_output=True,
        text=True,
        check=True,
    )
    return {name: Path(file) for name, file in json.loads(done.stdout).items() if file}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", default="", help="comma-separated public names to import")
    args = parser.parse_args()
    sets = {args.names: args.names} if args.names else SETS
    for label, names in sets.items():
        modules = loaded(names)
        counts = {name: code_lines(path) for name, path in sorted(modules.items())}
        print(f"{label}: {sum(counts.values()):,} code lines in {len(counts)} modules")
        for name, count in sorted(counts.items(), key=lambda item: -item[1]):
            print(f"  {count:5d}  {name}")
    every = sorted((RUNTIME / "sublimate_runtime").glob("*.py"))
    total = sum(code_lines(path) for path in every)
    print(f"the whole runtime: {total:,} code lines in {len(every)} modules")


if __name__ == "__main__":
    main()
