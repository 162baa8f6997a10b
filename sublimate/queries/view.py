"""`ir.QueryFile` -> what `templates/queries.py.jinja` prints: signatures, the statement
expression, the row constructor. Every piece of text from a .sql file reaches the module as a
literal (`naming.literal`) or a comment cleaned by `naming.comment_text`; identifiers were handed
out by `naming`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .. import naming, sessions
from ..imports import assemble, bind
from ..ir import Import, Query, QueryFile

RUNTIME = "sublimate_runtime"
_CANDIDATES: tuple[Import, ...] = (
    ("msgspec", ""),
    ("sqlalchemy", ""),
    ("sqlalchemy.orm", "Session"),
    ("sqlalchemy.ext.asyncio", "AsyncSession"),
    ("typing", "Any"),
    ("typing", "cast"),
    (RUNTIME, "KeysetPage"),
    (RUNTIME, "PageTerm"),
    (RUNTIME, "QueryPages"),
    (RUNTIME, "READ_INTENT"),
    (RUNTIME, "WRITE_INTENT"),
    (RUNTIME, "async_write_guard"),
    (RUNTIME, "write_guard"),
)
_ALIASES: dict[Import, str] = {("sqlalchemy", ""): "sa"}
# A colon that `sa.text` would take for a parameter, inside a literal or a comment.
_TEXT_PARAM = re.compile(r"(?<![:\w\\]):(?=\w)")


@dataclass(frozen=True, slots=True, kw_only=True)
class RowView:
    name: str
    fields: tuple[tuple[str, str], ...]  # (attr, annotation)


@dataclass(frozen=True, slots=True, kw_only=True)
class QueryView:
    q: Query
    doc: str
    signature: str  # after `session: ...`: ", *, min_total: decimal.Decimal" or ""
    arguments: str  # after the statement: ', {"min_total": min_total}' or ""
    statement: str  # the module constant's value
    returns: str  # the return annotation
    row: str  # the row built from `row`: "TopCustomersRow(*row)" or a Read DTO by keywords
    intent: str  # "READ_INTENT" / "WRITE_INTENT"
    model: str  # the write guard's name for errors: "reports.TopCustomers"
    params: str  # the parameters' dict ('{"min_total": min_total}', "{}"): a :many_after's
    pages: str  # its QueryPages(...) constant's value ("" for other commands)


def render(
    template: object, file: QueryFile, sessions_setting: tuple[str, ...], line_length: int
) -> str:
    """The module's unformatted text, its imports derived from what it uses."""
    import jinja2

    assert isinstance(template, jinja2.Template)
    width = max(40, line_length - 24)  # SQL pieces: indented, quoted, escaped, within the line
    queries = [_query(file, q, width) for q in file.queries]
    rows = _rows(file.queries)
    candidates = [*_CANDIDATES]
    for query in file.queries:
        for param in query.params:
            candidates.extend(param.imports)
        for column in query.columns:
            candidates.extend(column.imports)
        if query.row_import is not None:
            candidates.append(query.row_import)
    context = {
        "file": file,
        "source": naming.comment_text(file.path, limit=80),
        "rows": rows,
        "queries": queries,
        "flavours": sessions.flavours(sessions_setting),
    }
    return assemble(template, context, bind(candidates, _ALIASES))


def _rows(queries: Iterable[Query]) -> list[RowView]:
    seen: dict[str, RowView] = {}
    for query in queries:
        if query.row and query.row_import is None and query.row not in seen:
            seen[query.row] = RowView(
                name=query.row, fields=tuple((c.attr, c.python_type) for c in query.columns)
            )
    return list(seen.values())


def _query(file: QueryFile, query: Query, width: int) -> QueryView:
    signature = "".join(f", {p.arg}: {p.python_type}" for p in query.params)
    if query.page:
        signature += ", cursor: str | None = None, limit: int = 50"
    arguments = ", ".join(f"{naming.literal(p.sql_name)}: {p.arg}" for p in query.params)
    returns = {
        "one": f"{query.row} | None",
        "many": f"list[{query.row}]",
        "many_after": f"KeysetPage[{query.row}]",
        "exec": "None",
        "execrows": "int",
    }[query.command]
    if query.row_import is not None:
        built = ", ".join(f"{c.attr}=row[{i}]" for i, c in enumerate(query.columns))
        row = f"{query.row}({built})"
    else:
        row = f"{query.row}(*row)"
    return QueryView(
        q=query,
        doc=f"{query.name} ({naming.comment_text(file.path, limit=60)}, line {query.line}):"
        f" :{query.command}.{_order_text(query)}",
        signature=f", *{signature}" if signature else "",
        arguments=f", {{{arguments}}}" if arguments else "",
        statement=_statement(query, width),
        returns=returns,
        row=row,
        intent="WRITE_INTENT" if query.writes else "READ_INTENT",
        model=naming.literal(f"{naming.comment_text(file.module)}.{query.name}"),
        params=f"{{{arguments}}}",
        pages=_pages(file, query),
    )


def _order_text(query: Query) -> str:
    """A :many_after docstring's second paragraph, "Pages by Total DESC, InvoiceId." ("" for
    other commands), indented as the function body."""
    if not query.page:
        return ""
    terms = ", ".join(t.label + (" DESC" if t.descending else "") for t in query.page)
    return f"\n\n    Pages by {naming.comment_text(terms, limit=70)}."


def _pages(file: QueryFile, query: Query) -> str:
    """`QueryPages(name, statement, (PageTerm(...), ...))`: the order a :many_after's ORDER BY
    stated, each column's type what its cursor values decode to."""
    if not query.page:
        return ""
    terms = "".join(
        f"PageTerm(label={naming.literal(t.label)}, attr={naming.literal(t.attr)},"
        f" type={t.annotation}"
        + (", descending=True" if t.descending else "")
        + (", nullable=True" if t.nullable else "")
        + "), "
        for t in query.page
    )
    name = naming.literal(f"{naming.comment_text(file.module)}.{query.name}")
    return f"QueryPages({name}, {query.constant}, ({terms}))"


def _statement(query: Query, width: int) -> str:
    """`sa.text(...)` with the bound parameters' types and the result columns' types."""
    parts = [f"sa.text(\n{_sql_literal(query, width)}\n)"]
    typed = [p for p in query.params if p.sa_type or p.expanding]
    if typed:
        binds = ", ".join(
            f"sa.bindparam({naming.literal(p.sql_name)}"
            + (", expanding=True" if p.expanding else "")
            + (f", type_={p.sa_type}" if p.sa_type else "")
            + ")"
            for p in typed
        )
        parts.append(f".bindparams({binds})")
    if query.columns:
        columns = ", ".join(
            f"sa.column({naming.literal(c.label)}{', ' + c.sa_type if c.sa_type else ''})"
            for c in query.columns
        )
        parts.append(f".columns({columns})")
    return "".join(parts)


def _sql_literal(query: Query, width: int) -> str:
    """The statement as Python literals `sa.text` reads back exactly (colons inside literals
    and comments escaped): one literal per line of SQL, a long line cut at spaces into pieces
    of at most `width` characters (implicit concatenation: the same string), so the module
    stays within its line length whatever the SQL."""
    from .described import in_list_params
    from .lexer import tokens

    toks = tokens(query.sql)
    expanding = {p.sql_name for p in query.params if p.expanding}
    lists = {
        start: (end, name)
        for name, spans in in_list_params(toks).items()
        if name in expanding
        for start, end in spans
    }
    pieces: list[str] = []
    position = 0
    for token in toks:
        if token.start < position:
            continue  # inside an `IN (:ids)` already rewritten
        if token.start in lists:  # `IN (:ids)` -> `IN :ids`: SQLAlchemy expands it
            end, name = lists[token.start]
            pieces.append(query.sql[position : token.start])
            pieces.append(f":{name}")
            position = end
        elif token.kind in ("string", "quoted", "comment") and ":" in token.text:
            pieces.append(query.sql[position : token.start])
            pieces.append(_TEXT_PARAM.sub(r"\\:", token.text))
            position = token.start + len(token.text)
    pieces.append(query.sql[position:])
    sql = "".join(pieces)
    chunks: list[str] = []
    lines = sql.split("\n")
    for number, line in enumerate(lines):
        rest = line + ("\n" if number < len(lines) - 1 else "")
        while len(rest) > width:
            cut = rest.rfind(" ", 0, width) + 1 or width
            chunks.append(rest[:cut])
            rest = rest[cut:]
        if rest:
            chunks.append(rest)
    return "\n".join(naming.literal(chunk) for chunk in chunks)
