"""The few clauses sublimate reads from a statement's tokens, at its top level (outside any
parentheses): the select list's `count(...)` items, which are never NULL, and the final ORDER BY
that a `:many_after` query pages by. The database parses the SQL; this only finds where things
are, and answers "cannot tell" (nothing, or a ClauseError saying what to write) rather than
guess.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from .lexer import Token

_SET_OPERATORS = frozenset({"UNION", "INTERSECT", "EXCEPT", "MINUS"})
_AFTER_ORDER = frozenset({"LIMIT", "OFFSET", "FETCH", "FOR", "LOCK"})
_NULLS = frozenset({"FIRST", "LAST"})


class ClauseError(ValueError):
    """A clause written in a way sublimate cannot use, at a character offset of the SQL."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


@dataclass(frozen=True, slots=True)
class OrderTerm:
    """One term of a final ORDER BY: a result column named (`total`, `c.Email`, `"Name"`: the
    last part) or numbered (`2`), its direction, and `NULLS FIRST`/`LAST` as written."""

    name: str | None
    position: int | None  # 1-based, for `ORDER BY 2`
    descending: bool
    nulls: str | None  # "FIRST", "LAST" or None
    text: str  # as written, for messages
    offset: int


def code_of(toks: Sequence[Token]) -> list[Token]:
    """The tokens without comments and without the statement's trailing `;`."""
    code = [t for t in toks if t.kind != "comment"]
    while code and code[-1].text == ";":
        code.pop()
    return code


def _depths(code: Sequence[Token]) -> list[int]:
    """Each token's parenthesis depth (an opening parenthesis counts as outside)."""
    depth, out = 0, []
    for token in code:
        if token.text == ")":
            depth = max(depth - 1, 0)
        out.append(depth)
        if token.text == "(":
            depth += 1
    return out


def _top_words(code: Sequence[Token]) -> list[tuple[int, str]]:
    depths = _depths(code)
    return [(i, t.text.upper()) for i, t in enumerate(code) if t.kind == "word" and depths[i] == 0]


def _split(code: Sequence[Token], depths: Sequence[int], begin: int, end: int) -> list[list[Token]]:
    """code[begin:end] cut at its top-level commas."""
    items: list[list[Token]] = [[]]
    for i in range(begin, end):
        if code[i].text == "," and depths[i] == 0:
            items.append([])
        else:
            items[-1].append(code[i])
    return [item for item in items if item]


def counted_labels(toks: Sequence[Token], sql: str) -> frozenset[str]:
    """Lower-cased labels of the top-level select list's items that are a whole `count(...)`
    (with FILTER or OVER, aliased or not): COUNT is never NULL. An unaliased one is labelled
    `count` (PostgreSQL) or by its text (SQLite). Nothing for a set operation (UNION...): the
    other branch's column may be anything."""
    code = code_of(toks)
    words = _top_words(code)
    if any(word in _SET_OPERATORS for _, word in words):
        return frozenset()
    select = next((i for i, word in words if word == "SELECT"), None)
    if select is None:
        return frozenset()
    end = next((i for i, word in words if word == "FROM" and i > select), len(code))
    depths = _depths(code)
    labels: set[str] = set()
    for item in _split(code, depths, select + 1, end):
        if item[0].text.upper() in ("DISTINCT", "ALL"):
            item = item[1:]
        label = _count_label(item, sql)
        if label:
            labels.update(label)
    return frozenset(labels)


def _count_label(item: list[Token], sql: str) -> tuple[str, ...]:
    if len(item) < 3 or item[0].text.lower() != "count" or item[1].text != "(":
        return ()
    at = _after_parentheses(item, 1)
    for keyword in ("FILTER", "OVER"):
        if at < len(item) and item[at].text.upper() == keyword:
            at += 1
            if at < len(item) and item[at].text == "(":
                at = _after_parentheses(item, at)
            elif keyword == "OVER" and at < len(item) and item[at].kind == "word":
                at += 1  # OVER a named window
    rest = item[at:]
    if rest and rest[0].text.upper() == "AS":
        rest = rest[1:]
    if not rest:
        last = item[at - 1]
        return ("count", sql[item[0].start : last.start + len(last.text)].lower())
    if len(rest) == 1 and rest[0].kind in ("word", "quoted"):
        return (_unquoted(rest[0]).lower(),)
    return ()


def _after_parentheses(item: Sequence[Token], opening: int) -> int:
    depth = 0
    for i in range(opening, len(item)):
        depth += {"(": 1, ")": -1}.get(item[i].text, 0)
        if depth == 0:
            return i + 1
    return len(item)


def _unquoted(token: Token) -> str:
    if token.kind != "quoted":
        return token.text
    quote = token.text[0]
    return token.text[1:-1].replace(quote * 2, quote)


def final_order_by(toks: Sequence[Token], sql: str) -> tuple[int, tuple[OrderTerm, ...]]:
    """The offset where the statement's final top-level ORDER BY starts and its terms.

    ClauseError when there is none, when LIMIT/OFFSET/FETCH or a locking clause follows it (the
    page adds its own), or when a term is an expression rather than a result column."""
    code = code_of(toks)
    words = _top_words(code)
    order = None
    for (i, word), (j, following) in itertools.pairwise(words):
        if word == "ORDER" and following == "BY" and j == i + 1:
            order = i
    if order is None:
        raise ClauseError(
            "a :many_after query ends with ORDER BY over result columns that identify a row"
            " (the table's key last): add one",
            code[-1].start if code else 0,
        )
    after = [(i, w) for i, w in words if i > order + 1 and w in _AFTER_ORDER]
    if after:
        i, word = after[0]
        raise ClauseError(
            f"a :many_after query pages itself: remove its {word} clause (the function's `limit`"
            " argument sets the page size)",
            code[i].start,
        )
    depths = _depths(code)
    terms = tuple(_term(item, sql) for item in _split(code, depths, order + 2, len(code)))
    return code[order].start, terms


def _qualified_name(item: Sequence[Token]) -> bool:
    """`name`, `t.name`, `s."t"."Name"`: names joined by dots."""
    if len(item) % 2 == 0:
        return False
    return all(
        t.kind in ("word", "quoted") if k % 2 == 0 else t.text == "." for k, t in enumerate(item)
    )


def _term(item: list[Token], sql: str) -> OrderTerm:
    last = item[-1]
    text = sql[item[0].start : last.start + len(last.text)]
    nulls = None
    if len(item) >= 2 and item[-2].text.upper() == "NULLS" and last.text.upper() in _NULLS:
        nulls, item = last.text.upper(), item[:-2]
    descending = False
    if item and item[-1].text.upper() in ("ASC", "DESC"):
        descending, item = item[-1].text.upper() == "DESC", item[:-1]
    position: int | None = None
    name: str | None = None
    if item and all(t.kind == "other" and t.text.isdigit() for t in item):
        position = int("".join(t.text for t in item))  # the lexer gives digits one by one
    elif _qualified_name(item):
        name = _unquoted(item[-1])
    if name is None and position is None:
        raise ClauseError(
            f"ORDER BY {text}: a :many_after query orders by result columns (by name or"
            " position); select the expression with an alias and order by the alias",
            item[0].start if item else last.start,
        )
    return OrderTerm(name, position, descending, nulls, text, item[0].start)


_CLAUSES_AFTER_FROM = frozenset({"WHERE", "GROUP", "HAVING", "WINDOW", "ORDER", "LIMIT"})


def only_table(toks: Sequence[Token]) -> str | None:
    """The one table (lower-cased, last part of its name) the statement reads at its top level:
    `SELECT ... FROM t [AS] [alias] WHERE ...`, no join, no second table, no set operation, no
    CTE; None otherwise (then a row's identity cannot be told from one table's keys)."""
    code = code_of(toks)
    words = _top_words(code)
    names = {word for _, word in words}
    if names & _SET_OPERATORS or "JOIN" in names or words[:1] == [(0, "WITH")]:
        return None  # a CTE may take a table's name, and hold its rows more than once
    select = next((i for i, word in words if word == "SELECT"), None)
    start = next((i for i, w in words if w == "FROM" and select is not None and i > select), None)
    if start is None:
        return None
    depths = _depths(code)
    end = next((i for i, w in words if i > start and w in _CLAUSES_AFTER_FROM), len(code))
    item = code[start + 1 : end]
    if any(code[i].text == "," and not depths[i] for i in range(start + 1, end)):
        return None
    name: str | None = None
    at = 0
    while at < len(item) and item[at].kind in ("word", "quoted"):
        name = _unquoted(item[at]).lower()
        if at + 1 < len(item) and item[at + 1].text == ".":
            at += 2
            continue
        at += 1
        break
    rest = item[at:]
    if rest and rest[0].text.upper() == "AS":
        rest = rest[1:]
    if len(rest) > 1 or (rest and rest[0].kind not in ("word", "quoted")):
        return None
    return name
