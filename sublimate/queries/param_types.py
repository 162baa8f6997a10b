"""Parameter types on SQLite and MariaDB: a hint, else the type of the column the parameter meets.

Neither database types a statement's parameters, so both describers ask the same question of the
query's tokens (:mod:`.param_targets`) and differ only in how they read a column's type: one
definition of the rule, each describer passing its own lookup.
"""

from __future__ import annotations

from collections.abc import Callable

from .described import Origin
from .param_targets import LIMIT, aliases, target_of
from .parse import ParsedQuery
from .pytypes import PyType


def param_types(
    query: ParsedQuery,
    database: str,
    has_column: Callable[[str, str], bool],
    column_type: Callable[[str, str], PyType],
    limit_type: PyType,
) -> list[tuple[PyType, Origin | None]]:
    """Each parameter's type, in order, and the table column it was read from (None: a hint or
    a LIMIT). A parameter that meets no column and has no hint is an error naming the hint."""
    code = [t for t in query.tokens if t.kind != "comment"]
    found_aliases = aliases(code)
    out: list[tuple[PyType, Origin | None]] = []
    for name in query.params:
        hint = query.param_hint(name)
        if hint is not None:
            out.append((hint.type, None))
            continue
        target = target_of(code, name, found_aliases, has_column)
        if target == LIMIT:
            out.append((limit_type, None))
            continue
        if target is None:
            raise query.error(
                f"{database} cannot tell the type of parameter :{name} (it is not compared with,"
                f" assigned to or inserted into a column); add `-- param {name}: <type>`"
                " after the name line"
            )
        out.append((column_type(*target), Origin("", *target)))
    return out
