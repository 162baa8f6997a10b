"""Annotated `.sql` files -> parsed queries, with the line of everything (sqlc's annotations).

A file holds any number of queries, each opened by an annotation line:

    -- name: TopCustomers :many
    -- param min_total: Decimal          (optional hints, right after the name line)
    -- column total: Decimal | None
    SELECT ... WHERE total >= :min_total

Commands: `:one` (the first row or None), `:many` (a list), `:many_after` (keyset pages, see
`pages.py`; `-- unique: a, b` names the columns that identify a row), `:exec` (nothing),
`:execrows` (the number of rows the statement changed). Parameters are `:name` (letters,
digits, `_`), outside string literals, quoted names and comments; `::` is a PostgreSQL cast,
not a parameter. A parameter used twice is one argument. Everything wrong here is a
`QueryError` naming the file and line; nothing is guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .lexer import Token, UnterminatedError, tokens
from .pytypes import HINT_NAMES, PyType, parse_hint

COMMANDS = ("one", "many", "many_after", "exec", "execrows")
_NAME_LINE = re.compile(r"^\s*--\s*name\s*:\s*(?P<rest>.*)$", re.IGNORECASE)
_NAME_ANNOTATION = re.compile(r"^(?P<name>\S+)\s+:(?P<command>\S+)\s*$")
_QUERY_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_UNIQUE_LINE = re.compile(r"^\s*--\s*unique\s*:\s*(?P<labels>.*?)\s*$", re.IGNORECASE)
_HINT_LINE = re.compile(
    r"^\s*--\s*(?P<kind>param|column)\s+(?P<target>[^:]+?)\s*:\s*(?P<type>.+?)\s*$", re.IGNORECASE
)


class QueryError(Exception):
    """A query that cannot be generated: `path:line: name: message`, as the CLI prints it."""

    def __init__(self, path: str, line: int, name: str, message: str) -> None:
        self.path, self.line, self.name, self.message = path, line, name, message
        where = f"{path}:{line}: {name}: " if name else f"{path}:{line}: "
        super().__init__(where + message)


class QueryErrors(Exception):
    """Queries that cannot be generated, all of them: `generate` writes nothing (exit 2),
    `check` reports them as the reason the output is stale (exit 1)."""

    def __init__(self, errors: tuple[QueryError, ...]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(error) for error in errors))


@dataclass(frozen=True, slots=True)
class Hint:
    type: PyType
    nullable: bool
    line: int


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    path: str  # the file, relative to the project (POSIX)
    name: str
    command: str
    line: int  # the `-- name:` line
    sql: str  # the statement as written (trailing `;` removed), from `first_line` on
    first_line: int  # the file line of the statement's first line
    params: tuple[str, ...]  # SQL names, in order of first use
    param_hints: tuple[tuple[str, Hint], ...]
    column_hints: tuple[tuple[str, Hint], ...]
    tokens: tuple[Token, ...]
    # `-- unique: a, b` (:many_after): result columns the author says identify a row
    unique: tuple[str, ...] = ()
    unique_line: int = 0

    def line_of(self, offset: int, sent: str | None = None) -> int:
        """The file line of a character offset into `sent` (the statement as sent to the
        database, which keeps `sql`'s newlines): where a database's error points."""
        text = self.sql if sent is None else sent
        return self.first_line + text.count("\n", 0, max(offset, 0))

    def error(self, message: str, offset: int | None = None, sent: str | None = None) -> QueryError:
        line = self.line if offset is None else self.line_of(offset, sent)
        return QueryError(self.path, line, self.name, message)

    def param_hint(self, name: str) -> Hint | None:
        return dict(self.param_hints).get(name)

    def column_hint(self, label: str) -> Hint | None:
        return dict(self.column_hints).get(label)


def parse_file(path: str, text: str) -> list[ParsedQuery]:
    """Every query of one file, in order; QueryError on the first problem."""
    lines = text.splitlines()
    blocks: list[tuple[int, list[str]]] = []
    for number, line in enumerate(lines, 1):
        if _NAME_LINE.match(line):
            blocks.append((number, [line]))
        elif blocks:
            blocks[-1][1].append(line)
        elif line.strip() and not line.strip().startswith("--"):
            raise QueryError(
                path, number, "", "SQL before the first `-- name: <Name> :<command>` line"
            )
    if not blocks:
        raise QueryError(path, 1, "", "no query: annotate each with `-- name: <Name> :many`")
    queries = [_query(path, number, block) for number, block in blocks]
    seen: dict[str, int] = {}
    for query in queries:
        if query.name in seen:
            raise query.error(
                f"a second query named {query.name} (the first is on line {seen[query.name]})"
            )
        seen[query.name] = query.line
    return queries


def _query(path: str, line: int, block: list[str]) -> ParsedQuery:
    """One `-- name:` block, read top-down because each part needs the one before: the name
    prefixes every message, the header says where the SQL starts, the SQL's parameters are
    what a param hint must name."""
    name, command = _annotation(path, line, block[0])
    header = _header(path, line, name, command, block)
    statement = _statement(path, line, name, block, header.body_start)
    for target, hint in header.param_hints.items():
        if target not in statement.params:
            raise QueryError(
                path,
                hint.line,
                name,
                f"hint for :{target}, which the query does"
                f" not use (its parameters: {', '.join(statement.params) or 'none'})",
            )
    return ParsedQuery(
        path=path,
        name=name,
        command=command,
        line=line,
        sql=statement.sql,
        first_line=statement.first_line,
        params=statement.params,
        param_hints=tuple(sorted(header.param_hints.items())),
        column_hints=tuple(sorted(header.column_hints.items())),
        tokens=statement.tokens,
        unique=header.unique,
        unique_line=header.unique_line,
    )


def _annotation(path: str, line: int, text: str) -> tuple[str, str]:
    """The query's name and command, from `-- name: <Name> :<command>`; both are checked here
    because every later error message is prefixed with the name."""
    match = _NAME_LINE.match(text)
    assert match is not None
    annotation = _NAME_ANNOTATION.match(match.group("rest").strip())
    if annotation is None:
        raise QueryError(
            path,
            line,
            "",
            "write the annotation as `-- name: <Name> :<command>`"
            f" with a command among {', '.join(':' + c for c in COMMANDS)}",
        )
    name, command = annotation.group("name"), annotation.group("command")
    if not _QUERY_NAME.match(name):
        raise QueryError(
            path,
            line,
            "",
            f"query name {name!r}: use letters, digits and _,"
            " starting with a letter (TopCustomers)",
        )
    if command not in COMMANDS:
        raise QueryError(
            path,
            line,
            name,
            f"unknown command :{command}; use one of {', '.join(':' + c for c in COMMANDS)}",
        )
    return name, command


@dataclass(slots=True)
class _Header:
    """What the comment lines between `-- name:` and the SQL declare, and where the SQL starts
    (an index into the block: the SQL's line numbers count from it)."""

    param_hints: dict[str, Hint] = field(default_factory=dict)
    column_hints: dict[str, Hint] = field(default_factory=dict)
    unique: tuple[str, ...] = ()
    unique_line: int = 0
    body_start: int = 1


def _header(path: str, line: int, name: str, command: str, block: list[str]) -> _Header:
    """The `-- unique:` and `-- param/column` lines right after the name line (other comments
    and blank lines skipped); it stops at the first line of SQL, so that a comment inside the
    statement is never read as a hint."""
    header = _Header()
    for offset, text in enumerate(block[1:], 1):
        declared = _UNIQUE_LINE.match(text)
        hint = _HINT_LINE.match(text)
        if declared is not None:
            header.unique = _unique(path, line + offset, name, command, declared.group("labels"))
            header.unique_line = line + offset
        elif hint is not None:
            kind, target, parsed = _hint(path, line + offset, name, hint)
            chosen = header.param_hints if kind == "param" else header.column_hints
            chosen[target] = parsed
        elif text.strip() and not text.strip().startswith("--"):
            break
        header.body_start = offset + 1
    return header


def _unique(path: str, line: int, name: str, command: str, labels: str) -> tuple[str, ...]:
    """The columns of `-- unique: a, b`, which only a :many_after query can use."""
    unique = tuple(p.strip() for p in labels.split(",") if p.strip())
    if not unique or command != "many_after":
        raise QueryError(
            path,
            line,
            name,
            "`-- unique: <column>, ...` names the result columns that identify a row"
            " of a :many_after query",
        )
    return unique


def _hint(path: str, line: int, name: str, hint: re.Match[str]) -> tuple[str, str, Hint]:
    """A `-- param x: T` or `-- column x: T` line as (kind, target, hint); the target may be
    written `:x`, as the statement spells the parameter."""
    parsed = parse_hint(hint.group("type"))
    if parsed is None:
        raise QueryError(
            path,
            line,
            name,
            f"unknown type {hint.group('type')!r}"
            f" in a hint; use one of {', '.join(HINT_NAMES)}, list[...] of"
            " one, with `| None` when it may be null",
        )
    target = hint.group("target").strip().lstrip(":")
    return hint.group("kind").lower(), target, Hint(parsed[0], parsed[1], line)


@dataclass(frozen=True, slots=True)
class _Statement:
    sql: str  # trailing blank lines and `;` removed
    first_line: int
    tokens: tuple[Token, ...]  # of the SQL before its trailing `;` went (they stay in here)
    params: tuple[str, ...]


def _statement(path: str, line: int, name: str, block: list[str], body_start: int) -> _Statement:
    """The SQL after the header: exactly one statement, whose errors point at its own lines."""
    body = block[body_start:]
    while body and not body[-1].strip():
        body.pop()
    skipped = 0
    while body and not body[0].strip():
        body.pop(0)
        skipped += 1
    first_line = line + body_start + skipped
    sql = "\n".join(body).rstrip()
    try:
        toks = tokens(sql)
    except UnterminatedError as error:
        raise QueryError(
            path, first_line + sql.count("\n", 0, error.start), name, str(error)
        ) from None
    code = [t for t in toks if t.kind != "comment"]
    while code and code[-1].text == ";":
        sql = sql[: code[-1].start].rstrip()
        code.pop()
    if not code:
        raise QueryError(path, line, name, "no SQL after the annotation")
    if any(t.text == ";" for t in code):
        raise QueryError(
            path,
            first_line + sql.count("\n", 0, next(t.start for t in code if t.text == ";")),
            name,
            "one statement per query: start the next one with its own `-- name:` line",
        )
    params = tuple(dict.fromkeys(t.text for t in code if t.kind == "param"))
    return _Statement(sql, first_line, tuple(toks), params)
