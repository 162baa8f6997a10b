"""A small SQL lexer: enough to tell code from strings, quoted names and comments.

sublimate does not parse SQL (the database does that, and says what is wrong); it only needs to
find the named parameters (`:name`) outside literals, and the keywords that tell a write from a
read and an outer join's nullable side. PostgreSQL casts (`x::int`) are not parameters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")
_PARAM = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "word", "param", "string", "quoted", "comment", "other"
    text: str
    start: int  # offset in the statement


class UnterminatedError(ValueError):
    """A string, quoted name or block comment runs to the end of the statement."""

    def __init__(self, what: str, start: int) -> None:
        super().__init__(f"unterminated {what}")
        self.start = start


def tokens(sql: str) -> list[Token]:
    """The statement's tokens (whitespace dropped, punctuation one character at a time)."""
    out: list[Token] = []
    i, size = 0, len(sql)
    while i < size:
        char = sql[i]
        if char.isspace():
            i += 1
            continue
        if sql.startswith("--", i):
            end = sql.find("\n", i)
            end = size if end < 0 else end
            out.append(Token("comment", sql[i:end], i))
            i = end
            continue
        if sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            if end < 0:
                raise UnterminatedError("comment", i)
            out.append(Token("comment", sql[i : end + 2], i))
            i = end + 2
            continue
        if char in "'\"`":
            end = _closing(sql, i, char)
            out.append(Token("string" if char == "'" else "quoted", sql[i:end], i))
            i = end
            continue
        if char == "$" and (match := _DOLLAR.match(sql, i)) is not None:
            end = sql.find(match.group(0), match.end())
            if end < 0:
                raise UnterminatedError("dollar-quoted string", i)
            end += len(match.group(0))
            out.append(Token("string", sql[i:end], i))
            i = end
            continue
        if char == ":":
            if sql.startswith("::", i):
                out.append(Token("other", "::", i))
                i += 2
                continue
            match = _PARAM.match(sql, i + 1)
            if match is not None:
                out.append(Token("param", match.group(0), i))
                i = match.end()
                continue
        if (match := _WORD.match(sql, i)) is not None:
            # E'...' (PostgreSQL escapes), N'...', X'...': a prefix glued to a string literal.
            if match.end() < size and sql[match.end()] == "'" and len(match.group(0)) == 1:
                end = _closing(sql, match.end(), "'", backslash=match.group(0) in "eE")
                out.append(Token("string", sql[i:end], i))
                i = end
                continue
            out.append(Token("word", match.group(0), i))
            i = match.end()
            continue
        out.append(Token("other", char, i))
        i += 1
    return out


def _closing(sql: str, start: int, quote: str, *, backslash: bool = False) -> int:
    """The offset after the literal opened at `start` (a doubled quote stays inside)."""
    i = start + 1
    while True:
        end = sql.find(quote, i)
        if end < 0:
            raise UnterminatedError("string" if quote == "'" else "quoted name", start)
        if backslash and _escaped(sql, start + 1, end):
            i = end + 1
            continue
        if sql.startswith(quote * 2, end):
            i = end + 2
            continue
        return end + 1


def _escaped(sql: str, begin: int, at: int) -> bool:
    count = 0
    while at - 1 - count >= begin and sql[at - 1 - count] == "\\":
        count += 1
    return count % 2 == 1


def words(toks: list[Token]) -> list[str]:
    """The upper-cased keywords and names, in order (for the write and join rules)."""
    return [t.text.upper() for t in toks if t.kind == "word"]
