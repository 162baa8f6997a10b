"""The few pieces of SQLite's own SQL text that its catalog does not give in any other form.

SQLite keeps a CREATE INDEX exactly as it was written, and its PRAGMAs say which key elements
are expressions (`index_xinfo` cid -2) but not what the expressions are, nor an index's WHERE
condition. SQLAlchemy's reflection skips such indexes. This module splits the statement into
its elements and condition with a tokenizer that knows SQLite's quoting (strings, the four ways
to quote a name, blobs, comments), so a comma or parenthesis inside a literal is never taken for
syntax. Anything it does not recognise gives None: the caller leaves the index out and says so.

It also decides whether a column default, as `PRAGMA table_info` reports it, must be put back
in parentheses: SQLite reports `DEFAULT ('a' || 'b')` as `'a' || 'b'`, which is not valid DDL
again (only literals may stand unparenthesised after DEFAULT).

The texts returned are slices of what the database holds, to be printed only as literals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["IndexSql", "Token", "default_sql", "parse_create_index", "tokens"]


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "word", "name" (quoted identifier), "string", "blob", "number", "op"
    text: str
    start: int
    end: int


_TOKEN = re.compile(
    r"""
    (?P<space>\s+|--[^\n]*(?:\n|$)|/\*.*?(?:\*/|$))
  | (?P<blob>[xX]'[0-9a-fA-F]*')
  | (?P<string>'(?:[^']|'')*')
  | (?P<name>"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\])
  | (?P<number>0[xX][0-9a-fA-F]+|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<word>[A-Za-z_\u0080-\U0010ffff][A-Za-z0-9_$\u0080-\U0010ffff]*)
  | (?P<op>\|\||<<|>>|<=|>=|==|!=|<>|->>|->|[-+*/%&|~<>=(),.;?:@$])
    """,
    re.VERBOSE | re.DOTALL,
)


def tokens(text: str) -> list[Token] | None:
    """The tokens of `text`, without blanks and comments; None at anything unrecognised
    (an unterminated string, a stray character)."""
    result = []
    position = 0
    while position < len(text):
        found = _TOKEN.match(text, position)
        if found is None or found.end() == position:
            return None
        kind = found.lastgroup or ""
        if kind != "space":
            result.append(Token(kind, found.group(), position, found.end()))
        position = found.end()
    if any(t.kind in ("string", "name") and not _closed(t.text) for t in result):
        return None
    return result


def _closed(text: str) -> bool:
    closing = {"'": "'", '"': '"', "`": "`", "[": "]"}[text[0]]
    return len(text) >= 2 and text.endswith(closing)


def unquote(token: Token) -> str:
    """A name token as the name it stands for."""
    if token.kind != "name":
        return token.text
    quote = token.text[0]
    inner = token.text[1:-1]
    return inner if quote == "[" else inner.replace(quote * 2, quote)


def _is(token: Token, *words: str) -> bool:
    return token.kind == "word" and token.text.upper() in words


@dataclass(frozen=True, slots=True)
class IndexSql:
    """A CREATE INDEX split into its parts, each a slice of the original text."""

    elements: tuple[str, ...]  # each key element, without its ASC/DESC
    collated: tuple[bool, ...]  # whether the element ends with its own COLLATE clause
    where: str | None  # the partial index's condition


def parse_create_index(sql: str) -> IndexSql | None:
    """`CREATE [UNIQUE] INDEX [IF NOT EXISTS] [schema.]name ON table (elements) [WHERE expr]`.

    None when the text is not of that shape (the caller then has nothing it can trust).
    """
    found = tokens(sql)
    if found is None:
        return None
    items = list(found)
    position = 0

    def take(*words: str) -> bool:
        nonlocal position
        if position < len(items) and _is(items[position], *words):
            position += 1
            return True
        return False

    def take_name() -> bool:
        nonlocal position
        for _ in range(2):
            if position >= len(items) or items[position].kind not in ("word", "name", "string"):
                return False
            position += 1
            if position < len(items) and items[position].text == ".":
                position += 1
                continue
            return True
        return False

    if not take("CREATE"):
        return None
    take("UNIQUE")
    if not take("INDEX"):
        return None
    if take("IF") and not (take("NOT") and take("EXISTS")):
        return None
    if not take_name() or not take("ON") or not take_name():
        return None
    if position >= len(items) or items[position].text != "(":
        return None
    depth = 0
    elements: list[list[Token]] = [[]]
    position += 1
    while position < len(items):
        token = items[position]
        position += 1
        if token.kind == "op" and token.text == "(":
            depth += 1
        elif token.kind == "op" and token.text == ")":
            if depth == 0:
                break
            depth -= 1
        elif token.kind == "op" and token.text == "," and depth == 0:
            elements.append([])
            continue
        elements[-1].append(token)
    else:
        return None  # no closing parenthesis
    where = None
    if position < len(items):
        if not _is(items[position], "WHERE") or position + 1 >= len(items):
            return None
        rest = items[position + 1 :]
        while rest and rest[-1].text == ";":
            rest = rest[:-1]
        if not rest:
            return None
        where = sql[rest[0].start : rest[-1].end]
    texts, collated = [], []
    for element in elements:
        if element and _is(element[-1], "ASC", "DESC"):
            element = element[:-1]
        if not element:
            return None
        texts.append(sql[element[0].start : element[-1].end])
        collated.append(len(element) >= 3 and _is(element[-2], "COLLATE"))
    return IndexSql(elements=tuple(texts), collated=tuple(collated), where=where)


def default_sql(reported: str) -> str:
    """A column default as DDL can take it again: `PRAGMA table_info` drops the parentheses
    around an expression default (`DEFAULT (1 + 2)` reads `1 + 2`); they are put back. A
    literal (a signed number, a string, a blob, NULL, TRUE, CURRENT_TIMESTAMP, a bare word
    SQLite takes as a string) stays as it is."""
    found = tokens(reported)
    if found is None or not found:
        return reported
    if len(found) == 2 and found[0].text in ("-", "+") and found[1].kind == "number":
        return reported
    if len(found) == 1 and found[0].kind in ("string", "blob", "number", "name", "word"):
        return reported
    return f"({reported})"
