"""Which column a parameter stands for, read from the statement's text: for databases that
cannot say a parameter's type (SQLite, MariaDB), a parameter takes the type of the column it is
compared with, assigned to or inserted into (`col = :p`, `:p < t.col`, `col IN (:a, :b)`,
`col BETWEEN :a AND :b`, `SET col = :p`, `INSERT (col) VALUES (:p)`); `LIMIT :n` is a count.
Anything else is left to a `-- param` hint: no guess.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .lexer import Token

_COMPARE = frozenset({"=", "==", "<", ">", "<=", ">=", "<>", "!=", "LIKE", "GLOB", "IS"})
_NOT_ALIAS = frozenset(
    {
        "WHERE",
        "JOIN",
        "LEFT",
        "RIGHT",
        "FULL",
        "INNER",
        "CROSS",
        "OUTER",
        "ON",
        "USING",
        "GROUP",
        "ORDER",
        "LIMIT",
        "HAVING",
        "UNION",
        "EXCEPT",
        "INTERSECT",
        "WINDOW",
        "SET",
        "VALUES",
        "RETURNING",
        "NATURAL",
        "AS",
        "DEFAULT",
        "SELECT",
        "OFFSET",
    }
)


def _name(token: Token) -> str | None:
    if token.kind == "word":
        return token.text
    if token.kind == "quoted":
        return token.text[1:-1]
    return None


def aliases(code: Sequence[Token]) -> dict[str, str]:
    """alias (and table name) -> table, from FROM/JOIN/UPDATE/INTO clauses (lower-cased keys)."""
    found: dict[str, str] = {}
    for index, token in enumerate(code):
        if token.text.upper() not in ("FROM", "JOIN", "UPDATE", "INTO") or token.kind != "word":
            continue
        at = index + 1
        table = _name(code[at]) if at < len(code) else None
        while table is not None and at + 2 < len(code) and code[at + 1].text == ".":
            at += 2
            table = _name(code[at])
        if table is None:
            continue
        found[table.lower()] = table
        at += 1
        if at < len(code) and code[at].text.upper() == "AS":
            at += 1
        alias = _name(code[at]) if at < len(code) else None
        if alias is not None and alias.upper() not in _NOT_ALIAS:
            found[alias.lower()] = table
    return found


HasColumn = Callable[[str, str], bool]
_OPERATOR_CHARS = frozenset("=<>!")
LIMIT = ("", "LIMIT")


def target_of(
    code: Sequence[Token], name: str, aliases: dict[str, str], has_column: HasColumn
) -> tuple[str, str] | None:
    """The (table, column) a parameter is compared with, assigned to or inserted into, at any
    of its uses; `LIMIT` for a LIMIT/OFFSET count; None when no use tells."""
    for index, token in enumerate(code):
        if token.kind != "param" or token.text != name:
            continue
        previous = code[index - 1].text.upper() if index else ""
        if previous in ("LIMIT", "OFFSET"):
            return LIMIT
        for reference in _neighbours(code, index):
            found = _resolve(reference, aliases, has_column)
            if found is not None:
                return found
        found = _inserted(code, index, aliases, has_column)
        if found is not None:
            return found
    return None


def _neighbours(code: Sequence[Token], index: int) -> list[tuple[str | None, str]]:
    """Column references an operator links to the parameter at `index`: `ref op :p`,
    `:p op ref`, `ref IN (..., :p)`, `ref BETWEEN :a AND :b`."""
    found: list[tuple[str | None, str]] = []
    left = index - 1
    while left >= 0 and code[left].text in _OPERATOR_CHARS:
        left -= 1
    if left < index - 1 or (
        left >= 0 and code[left].text.upper() in _COMPARE and code[left].kind == "word"
    ):
        found += _reference_ending(code, left if left < index - 1 else left - 1)
    right = index + 1
    while right < len(code) and code[right].text in _OPERATOR_CHARS:
        right += 1
    if right > index + 1 or (right < len(code) and code[right].text.upper() in _COMPARE):
        start = right if right > index + 1 else right + 1
        found += _reference_starting(code, start)
    at = index - 1
    while at >= 0 and (
        code[at].text == "," or code[at].kind in ("param", "string") or code[at].text.isdigit()
    ):
        at -= 1
    if at >= 1 and code[at].text == "(" and code[at - 1].text.upper() == "IN":
        found += _reference_ending(code, at - 2)
    if previous_is(code, index, "BETWEEN"):
        found += _reference_ending(code, index - 2)
    if previous_is(code, index, "AND") and index >= 3 and code[index - 3].text.upper() == "BETWEEN":
        found += _reference_ending(code, index - 4)
    return found


def previous_is(code: Sequence[Token], index: int, word: str) -> bool:
    return index >= 1 and code[index - 1].text.upper() == word


def _reference_ending(code: Sequence[Token], end: int) -> list[tuple[str | None, str]]:
    if end < 0 or (column := _name(code[end])) is None:
        return []
    if end >= 2 and code[end - 1].text == "." and (qualifier := _name(code[end - 2])) is not None:
        return [(qualifier, column)]
    return [(None, column)]


def _reference_starting(code: Sequence[Token], start: int) -> list[tuple[str | None, str]]:
    if start >= len(code) or (first := _name(code[start])) is None:
        return []
    if (
        start + 2 < len(code)
        and code[start + 1].text == "."
        and (column := _name(code[start + 2])) is not None
    ):
        return [(first, column)]
    return [(None, first)]


def _resolve(
    reference: tuple[str | None, str], aliases: dict[str, str], has_column: HasColumn
) -> tuple[str, str] | None:
    qualifier, column = reference
    if qualifier is not None:
        table = aliases.get(qualifier.lower())
        return (table, column) if table is not None and has_column(table, column) else None
    tables = {table for table in aliases.values() if has_column(table, column)}
    return (tables.pop(), column) if len(tables) == 1 else None


def _inserted(
    code: Sequence[Token], index: int, aliases: dict[str, str], has_column: HasColumn
) -> tuple[str, str] | None:
    """`INSERT INTO t (a, b) VALUES (:x, :y)`: the column at the parameter's position."""
    at, position = index - 1, 0
    while at >= 0 and code[at].text != "(":
        position += code[at].text == ","
        at -= 1
    if at < 1 or code[at - 1].text.upper() != "VALUES":
        return None
    words = [t.text.upper() for t in code[:at]]
    if "INTO" not in words:
        return None
    into = len(words) - 1 - words[::-1].index("INTO")
    table = _name(code[into + 1]) if into + 1 < len(code) else None
    opening = into + 2
    while opening < at and code[opening].text == ".":
        table = _name(code[opening + 1])
        opening += 2
    if table is None or code[opening].text != "(":
        return None
    names = []
    for token in code[opening + 1 : at]:
        if token.text == ")":
            break
        if (column := _name(token)) is not None:
            names.append(column)
    if position >= len(names) or not has_column(table, names[position]):
        return None
    return aliases.get(table.lower(), table), names[position]
