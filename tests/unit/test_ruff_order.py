"""`sublimate.ruff_order` sorts names exactly as ruff does: ruff itself is the oracle.

Names that real schemas produce (`T2019`, `AsyncARepository` next to `AWhere`, `t20`/`t3`, mixed
case, underscores) are written in a scrambled order; `ruff check --fix` sorts them (I001 for an
import's members and modules, RUF022 for `__all__`); our keys must give the same orders.
"""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

from sublimate.ruff_order import all_key, member_key, module_key

RUFF = Path(sys.executable).parent / "ruff"
NAMES = [
    "AOrderBy", "ARepository", "AWhere", "AsyncARepository", "AsyncAService", "T2019",
    "T201Create", "T2019Create", "T20Create", "T3Create", "t_x", "T_X", "Tab", "TAB", "tab10",
    "tab9", "X", "Y1", "Y10", "Y2", "abc", "Abc", "ABC", "aBc", "A_B", "A1", "Ab_c", "ab_C",
    "Ea", "eA", "_x", "_X", "__y", "x_2", "x_10", "X01", "X1", "Éa", "Ä", "sa", "SA", "Sa",
]  # fmt: skip
MODULES = ["t20", "t3", "T4", "t_1", "a_tag", "aTag", "a10b", "a9b", "Zz8", "zz9", "zz10"]


def _ruff_fixed(tmp_path: Path, source: str) -> str:
    path = tmp_path / "sample.py"
    path.write_text(source)
    subprocess.run(
        [str(RUFF), "check", "--no-cache", "--isolated", "--select=I,RUF022", "--fix", str(path)],
        capture_output=True,
        check=False,
    )
    return path.read_text()


def test_member_module_and_all_orders_match_ruff(tmp_path: Path) -> None:
    scrambled = NAMES[:]
    random.Random(12).shuffle(scrambled)
    modules = MODULES[:]
    random.Random(3).shuffle(modules)
    source = (
        "from m import (\n" + "".join(f"    {n},\n" for n in scrambled) + ")\n"
        + "".join(f"from .{m} import f{i}\n" for i, m in enumerate(modules))
        + "\n__all__ = [\n" + "".join(f"    {n!r},\n" for n in scrambled) + "]\n"
    )  # fmt: skip
    fixed = _ruff_fixed(tmp_path, source)
    head, _, tail = fixed.partition("__all__ = [")
    members_block = head[head.index("from m import (") : head.index(")")]
    members = [line.strip().rstrip(",") for line in members_block.splitlines()[1:]]
    assert members == sorted(NAMES, key=member_key)
    relative = [line.split()[1][1:] for line in head.splitlines() if line.startswith("from .")]
    assert relative == sorted(MODULES, key=module_key)
    names = [line.strip().rstrip(",").strip("'\"") for line in tail.splitlines()[1:-1]]
    assert names == sorted(NAMES, key=all_key)
