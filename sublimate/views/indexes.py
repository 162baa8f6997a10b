"""One `sa.Index(...)` of a generated model, from `ir.Index`: the text a model's `__table_args__`
prints.

What the database reported goes back as SQLAlchemy's own index options, so `create_all` (and
Alembic) build the same index: `postgresql_using`, `postgresql_ops`, `postgresql_where` /
`sqlite_where`, `postgresql_include`, `postgresql_with`, `postgresql_nulls_not_distinct`,
`mysql_prefix`, `mysql_length`, `mysql_with_parser`; a DESC or NULLS LAST element becomes
`sa.desc(sa.column("n"))` / `sa.nulls_last(...)`. Every database text is a literal
(`naming.literal`), SQL ones inside `sa.text(...)` or `sa.literal_column(...)`.

One case SQLAlchemy has no option for: an element with both an operator class and an order
(`title text_pattern_ops DESC`); its option would be printed after the order, which PostgreSQL
rejects. That element is printed as one literal SQL column, the name quoted as PostgreSQL does.
"""

from __future__ import annotations

from collections.abc import Collection

from .. import naming
from ..ir import Index

__all__ = ["index_line"]

_ORDER = {
    "desc": "sa.desc",
    "asc": "sa.asc",
    "nulls_first": "sa.nulls_first",
    "nulls_last": "sa.nulls_last",
}


def _unquoted(expression: str) -> str:
    bare = expression.strip()
    return bare[1:-1].replace('""', '"') if bare.startswith('"') else bare


def _quoted(name: str) -> str:
    """A name as PostgreSQL SQL text (only PostgreSQL has operator classes)."""
    return '"' + name.replace('"', '""') + '"'


def _dict(pairs: Collection[tuple[str, object]]) -> str:
    return "{" + ", ".join(f"{naming.literal(k)}: {naming.literal(v)}" for k, v in pairs) + "}"


def index_line(index: Index, column_names: Collection[str]) -> str | None:
    """`sa.Index("name", "a", sa.text("lower(b)"), unique=True, ...)`; None when the index has
    no element a model can name."""
    opclasses = dict(index.opclasses)
    sorting = dict(index.sorting)
    inline: set[str] = set()
    elements = []
    keys = [(c, True) for c in index.columns] or [
        (_unquoted(e), True) if _unquoted(e) in column_names else (e, False)
        for e in index.expressions
    ]
    for key, is_column in keys:
        opclass, order = opclasses.get(key), sorting.get(key, ())
        if opclass is not None and order:
            sql = f"{_quoted(key) if is_column else key} {opclass}"
            element = f"sa.literal_column({naming.literal(sql)})"
            inline.add(key)
        elif is_column:
            element = f"sa.column({naming.literal(key)})" if order else naming.literal(key)
        elif opclass is not None or order:
            # A column expression: its key is its text (which postgresql_ops is keyed by), and
            # it types as one in sa.desc() (a TextClause does not).
            element = f"sa.literal_column({naming.literal(key)})"
        else:
            element = f"sa.text({naming.literal(key)})"
        for word in order:
            if word in _ORDER:
                element = f"{_ORDER[word]}({element})"
        elements.append(element)
    if not elements:
        return None
    arguments = [naming.literal(index.name), *elements, *_options(index, inline)]
    return f"sa.Index({', '.join(arguments)})"


def _options(index: Index, inline: set[str]) -> list[str]:
    dialect = index.dialect
    options = ["unique=True"] if index.unique else []
    if index.method:
        options.append(f"{dialect}_using={naming.literal(index.method)}")
    ops = [(k, v) for k, v in index.opclasses if k not in inline]
    if ops:
        options.append(f"{dialect}_ops={_dict(ops)}")
    if index.include:
        options.append(f"{dialect}_include={naming.literal(index.include)}")
    if index.nulls_not_distinct:
        options.append(f"{dialect}_nulls_not_distinct=True")
    if index.storage:
        options.append(f"{dialect}_with={_dict(index.storage)}")
    if index.where is not None:
        options.append(f"{dialect}_where=sa.text({naming.literal(index.where)})")
    if index.prefix:
        options.append(f"{dialect}_prefix={naming.literal(index.prefix)}")
    if index.lengths:
        options.append(f"{dialect}_length={_dict(index.lengths)}")
    if index.parser:
        options.append(f"{dialect}_with_parser={naming.literal(index.parser)}")
    return options
