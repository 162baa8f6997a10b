"""What a database says about one statement, before names are handed out: the describers'
common answer, and the rules both apply (outer joins, writes)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from .lexer import Token
from .parse import ParsedQuery
from .pytypes import PyType


@dataclass(frozen=True, slots=True)
class Origin:
    schema: str  # "" when the database has one namespace (SQLite's main)
    table: str
    column: str

    def __str__(self) -> str:
        return f"{self.table}.{self.column}"


@dataclass(frozen=True, slots=True)
class DescribedColumn:
    label: str
    type: PyType
    nullable: bool
    origin: Origin | None


@dataclass(frozen=True, slots=True)
class Described:
    params: tuple[tuple[PyType, bool], ...]  # per ParsedQuery.params: (type, nullable)
    columns: tuple[DescribedColumn, ...]
    param_origins: tuple[Origin | None, ...] = ()  # the column a parameter was typed from


class Describer(Protocol):
    dialect: str

    def describe(self, query: ParsedQuery) -> Described:
        """The statement's parameters and result columns; QueryError when the database
        refuses it or cannot tell a type that no hint gives."""
        ...

    def column_exists(self, origin: str) -> bool:
        """Whether `table.column` (as recorded in the manifest) is still in the schema."""
        ...

    def close(self) -> None: ...


_WRITES = frozenset({"INSERT", "UPDATE", "DELETE", "MERGE", "TRUNCATE", "REPLACE", "UPSERT"})
_JOIN_SIDE = frozenset({"RIGHT", "FULL"})


def writes(toks: Sequence[Token]) -> bool:
    """Whether the statement needs the primary: any data-changing keyword (a CTE's too), or a
    locking read (`FOR UPDATE`, `FOR SHARE`). Quoted names never count."""
    words = [t.text.upper() for t in toks if t.kind == "word"]
    if _WRITES.intersection(words):
        return True
    return any(a == "FOR" and b in ("SHARE", "KEY") for a, b in itertools.pairwise(words))


def outer_nullable(toks: Sequence[Token]) -> frozenset[str] | None:
    """The tables (lower-cased) on the nullable side of a LEFT JOIN, whose columns may come
    back NULL whatever their table says; None when that cannot be told from the text (a RIGHT
    or FULL join, a LEFT JOIN to a subquery): then every column is taken as nullable."""
    code = [t for t in toks if t.kind != "comment"]
    found: set[str] = set()
    for index, token in enumerate(code):
        word = token.text.upper() if token.kind == "word" else ""
        if word in _JOIN_SIDE and _joins_after(code, index):
            return None
        if word != "LEFT" or not _joins_after(code, index):
            continue
        at = index + 1
        while at < len(code) and code[at].text.upper() in ("OUTER", "JOIN"):
            at += 1
        name = _table_name(code, at)
        if name is None:
            return None
        found.add(name)
    return frozenset(found)


def _joins_after(code: Sequence[Token], index: int) -> bool:
    following = [t.text.upper() for t in code[index + 1 : index + 3]]
    return following[:1] == ["JOIN"] or following == ["OUTER", "JOIN"]


def _table_name(code: Sequence[Token], at: int) -> str | None:
    """The last part of a (possibly qualified, possibly quoted) table name starting at `at`."""
    name: str | None = None
    while at < len(code):
        token = code[at]
        if token.kind == "word":
            name = token.text.lower()
        elif token.kind == "quoted":
            name = token.text[1:-1].lower()
        else:
            return None
        if at + 1 < len(code) and code[at + 1].text == ".":
            at += 2
            continue
        return name
    return name


def in_list_params(toks: Sequence[Token]) -> dict[str, list[tuple[int, int]]]:
    """Parameters written alone in an IN list, `IN (:ids)`, with the spans of their `(...)`
    (start, end offsets): with a `list[...]` hint, such a parameter binds one value per
    element, and `sa.text` wants it written `IN :ids`."""
    code = [t for t in toks if t.kind != "comment"]
    found: dict[str, list[tuple[int, int]]] = {}
    for index in range(len(code) - 3):
        word, opening, param, closing = code[index : index + 4]
        if (
            word.kind == "word"
            and word.text.upper() == "IN"
            and opening.text == "("
            and param.kind == "param"
            and closing.text == ")"
        ):
            found.setdefault(param.text, []).append((opening.start, closing.start + 1))
    return found
