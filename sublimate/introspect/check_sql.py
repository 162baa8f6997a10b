"""The values a `CHECK (col IN (...))` constraint allows, read from the database's SQL text.

Pure text parsing, with no SQLAlchemy import: the factories' view reads it on every generation,
including the ones a render-cache hit answers without loading SQLAlchemy.
"""

from __future__ import annotations

import re

_IN_CHECK = re.compile(
    r"""^\s*\(*\s*(?P<column>"(?:[^"]|"")+"|`(?:[^`]|``)+`|\[[^\]]+\]|[A-Za-z_][A-Za-z0-9_$]*)"""
    r"""\s+IN\s*\((?P<values>.*?)\)\s*\)*\s*$""",
    re.IGNORECASE | re.DOTALL,
)
_CHECK_VALUE = re.compile(r"\s*(?:'(?P<text>(?:[^']|'')*)'|(?P<number>-?\d+))\s*(?:,|$)")


def check_values(sqltext: str) -> tuple[str, tuple[str | int, ...]] | None:
    """`("status", ("a", "b"))` for `CHECK (status IN ('a', 'b'))`; None for any other check."""
    found = _IN_CHECK.match(sqltext)
    if not found:
        return None
    column = found["column"]
    if column[0] in '"`[':
        column = column[1:-1].replace(column[0] * 2, column[0]) if column[0] != "[" else column
        column = column[1:-1] if column.startswith("[") else column
    values: list[str | int] = []
    text = found["values"]
    position = 0
    while position < len(text):
        item = _CHECK_VALUE.match(text, position)
        if item is None or item.end() == position:
            return None
        text_value = item["text"]
        values.append(
            text_value.replace("''", "'") if text_value is not None else int(item["number"])
        )
        position = item.end()
    return (column, tuple(values)) if values else None
