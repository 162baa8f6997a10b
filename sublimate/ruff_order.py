"""The orders ruff wants for names in generated code, so its default rules find nothing.

- `member_key`: isort's order of the names of one `from m import a, B, C_D` (I001, with ruff's
  default `order-by-type`): CONSTANTS, then Classes, then the rest; within each, natural order
  (numbers by value) ignoring case, case deciding ties: `AOrderBy, ARepository,
  AsyncARepository, AWhere`, `T20Create, T201Create, T2019Create`.
- `module_key`: isort's order of module names: natural, ignoring case (`t3` before `t20`).
- `all_key`: RUF022's "isort-style" order of `__all__`: the same three groups, natural order,
  case-sensitive (`AWhere` before `AsyncARepository`).

Names here are Python identifiers: a digit sorts before any other character of an identifier,
which is what lets a tuple of parts stand for ruff's character-by-character natural compare.
"""

from __future__ import annotations

import re

__all__ = ["all_key", "member_key", "module_key", "natural"]

_DIGITS = re.compile(r"(\d+)")

NaturalKey = tuple[tuple[int, int, str], ...]


def natural(text: str, *, fold: bool = False) -> NaturalKey:
    """Natural-order key: runs of digits by value; `fold` ignores case."""
    if fold:
        text = text.lower()
    return tuple(
        (1, int(part), part) if part.isdigit() else (0, 0, part)
        for part in _DIGITS.split(text)
        if part
    )


def _kind(name: str) -> int:
    """0 for a CONSTANT (more than one character, all cased ones upper), 1 for a Class, 2 else."""
    if len(name.encode()) > 1 and name.isupper():
        return 0
    if name[:1].isupper():
        return 1
    return 2


def member_key(name: str) -> tuple[int, NaturalKey, NaturalKey]:
    return (_kind(name), natural(name, fold=True), natural(name))


def module_key(module: str) -> tuple[NaturalKey, NaturalKey]:
    return (natural(module, fold=True), natural(module))


def all_key(name: str) -> tuple[int, NaturalKey, str]:
    return (_kind(name), natural(name), name)
