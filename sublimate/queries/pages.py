"""`:many_after`: a query read in keyset pages. What the generator decides, and refuses.

The query ends with an ORDER BY over its result columns (by name or position, ASC/DESC); at run
time the statement without that ORDER BY becomes a subquery, and the runtime's keyset machinery
(`sublimate_runtime.query_pages`) adds the seek condition past the cursor's row, the ORDER BY and
`LIMIT limit + 1`: pages over the same order the query states, NULLs sorting as the greatest
value on every database (as the repositories' keyset pages do).

Pages only neither skip nor repeat a row when the order is total: its columns must include
columns that identify a row. sublimate can tell that only for a query of one table (no join, no
set operation): the ORDER BY must hold that table's primary key, or a unique key of NOT NULL
columns. Anywhere else (a join that keeps the key unique, a GROUP BY) the author says so with
`-- unique: a, b` after the name line; those columns must be in the ORDER BY.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..ir import Entity, PageTerm, QueryColumn, QueryParam, Schema
from .clauses import ClauseError, OrderTerm, final_order_by, only_table
from .described import Described, Origin
from .parse import ParsedQuery, QueryError

PAGE_ARGUMENTS = frozenset({"cursor", "limit", "page"})  # the function's own arguments, a local


def keyset_of(
    query: ParsedQuery,
    answer: Described,
    columns: tuple[QueryColumn, ...],
    params: Sequence[QueryParam],
    *,
    writes: bool,
    schema: Schema,
) -> tuple[str, tuple[PageTerm, ...]]:
    """(the statement without its final ORDER BY, the order its pages follow); QueryError when
    the query cannot be paged (see the module docstring)."""
    if writes:
        raise query.error(
            "a :many_after query reads: use :many for a statement that writes or locks rows"
        )
    taken = sorted(PAGE_ARGUMENTS.intersection(p.arg for p in params))
    if taken:
        raise query.error(
            f"rename :{taken[0]}: a :many_after function takes `cursor` and `limit` itself"
            " (and names its page `page`)"
        )
    seen: set[str] = set()
    for column in columns:
        if column.label.lower() in seen:
            raise query.error(
                f"two result columns named {column.label!r}: a :many_after query is read as a"
                " subquery, whose columns need distinct names; alias one of them"
            )
        seen.add(column.label.lower())
    try:
        start, terms = final_order_by(query.tokens, query.sql)
    except ClauseError as error:
        raise query.error(str(error), error.offset) from None
    ordered: dict[int, PageTerm] = {}
    for term in terms:
        index = _resolve(query, term, columns)
        column = columns[index]
        _check_nulls(query, term, column)
        ordered.setdefault(
            index,
            PageTerm(
                label=column.label,
                attr=column.attr,
                annotation=column.python_type.removesuffix(" | None"),
                descending=term.descending,
                nullable=column.nullable,
            ),
        )
    _check_unique(query, answer, columns, tuple(ordered), schema)
    return query.sql[:start].rstrip(), tuple(ordered.values())


def _resolve(query: ParsedQuery, term: OrderTerm, columns: tuple[QueryColumn, ...]) -> int:
    """The result column an ORDER BY term names: its position, or its label (exactly, else
    case-insensitively; `c.Email` names the column labelled `Email`)."""
    if term.position is not None:
        if not 1 <= term.position <= len(columns):
            raise query.error(
                f"ORDER BY {term.text}: the query has {len(columns)} result columns", term.offset
            )
        return term.position - 1
    found = [i for i, c in enumerate(columns) if c.label == term.name]
    if not found and term.name is not None:
        found = [i for i, c in enumerate(columns) if c.label.lower() == term.name.lower()]
    if len(found) != 1:
        labels = ", ".join(c.label for c in columns)
        raise query.error(
            f"ORDER BY {term.text}: a :many_after query orders by its result columns, by name"
            f" ({labels}) or position",
            term.offset,
        )
    return found[0]


def _check_nulls(query: ParsedQuery, term: OrderTerm, column: QueryColumn) -> None:
    """NULLs sort as the greatest value (last ascending, first descending) on every database;
    a NULLS clause saying otherwise is refused rather than silently ignored."""
    if term.nulls is None or not column.nullable:
        return
    wanted = "FIRST" if term.descending else "LAST"
    if term.nulls != wanted:
        raise query.error(
            f"ORDER BY {term.text}: keyset pages sort NULLs as the greatest value (NULLS"
            f" {wanted} here, on every database); drop NULLS {term.nulls}",
            term.offset,
        )


def _check_unique(
    query: ParsedQuery,
    answer: Described,
    columns: tuple[QueryColumn, ...],
    ordered: tuple[int, ...],
    schema: Schema,
) -> None:
    if query.unique:
        labels = {columns[i].label.lower() for i in ordered}
        for label in query.unique:
            if label.lower() not in labels:
                raise QueryError(
                    query.path,
                    query.unique_line,
                    query.name,
                    f"`-- unique: {label}`: {label} is not in the ORDER BY; the pages' order must"
                    " include the columns that identify a row",
                )
        return
    table = only_table(query.tokens)
    origins = [answer.columns[i].origin for i in ordered]
    if table is not None and _holds_a_key(table, origins, schema):
        return
    raise query.error(
        "the ORDER BY of a :many_after query must identify a row, or pages skip and repeat"
        " rows that tie: end it with the table's primary key (or a unique key of NOT NULL"
        " columns); when the query joins or groups, name the result columns that identify a"
        " row with `-- unique: <column>, ...` after the name line"
    )


def _holds_a_key(table: str, origins: Sequence[Origin | None], schema: Schema) -> bool:
    read = {o.column for o in origins if o is not None and o.table.lower() == table}
    for entity in schema.entities:
        if entity.table.lower() != table:
            continue
        for key in entity.unique_keys:
            if set(key.sql_columns) <= read and _not_null(entity, key.sql_columns):
                return True
    return False


def _not_null(entity: Entity, sql_columns: Sequence[str]) -> bool:
    by_name = {c.sql_name: c for c in entity.columns}
    return all(name in by_name and not by_name[name].nullable for name in sql_columns)
