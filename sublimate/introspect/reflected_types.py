"""Reflected column types -> IR types: `types.column_type` plus what only a live database shows.

`types.column_type` maps a SQLAlchemy type to a Python type and a *generic* spelling
(`postgresql.JSONB` -> `sa.JSON()`), which is right for hand-written models whose classes already
exist. A model generated from a database must recreate the same DDL, so here:

- the generic spelling is kept when it compiles to the same DDL as the reflected type on the
  database's dialect (`VARCHAR(20)`, `INTEGER`, `NUMERIC(10, 2)`, an `ENUM`);
- otherwise the dialect's own type is spelled (`postgresql.JSONB()`, `mysql.MEDIUMTEXT()`,
  `mysql.INTEGER(display_width=10, unsigned=True)`). That spelling comes from the type's `repr`
  (as Alembic renders types), but it is parsed, checked to be only calls of type classes with
  literal arguments, and printed again from the syntax tree: database text reaches it only as
  `repr`-quoted literals, never as code;
- types `column_type` does not know get their Python type here (PostgreSQL ranges, INET, MONEY,
  HSTORE; MySQL SET, YEAR, BIT; `TINYINT(1)` and SQLite `CHECK (x IN (0, 1))` as booleans;
  `CHECK (x IN ('a', 'b'))` as a `Literal`);
- a PostgreSQL DOMAIN keeps its name: typed in Python as its base type, spelled
  `sublimate_runtime.Domain(name, <base type>, not_null=..., check=sa.text(...), ...)` (the
  runtime's `postgresql.DOMAIN` that SQLAlchemy 2.1's operators accept without warnings), so
  `create_all` (and a migration) creates the domain again and Alembic compares it as itself;
- an unknown type stays `Any`, spelled `sa.types.NullType()` (imports and type-checks; it cannot
  be created by `create_all`), with a warning naming the type the database reported.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import importlib
import sys
from typing import Any

import sqlalchemy
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import sqltypes
from sqlalchemy.types import TypeEngine

from sublimate import naming
from sublimate.introspect.types import ColumnType, column_type, int_range, with_int_range
from sublimate.ir import Diagnostic, FilterKind, Import

__all__ = ["reflected_column_type", "type_expression"]

_ANY: Import = ("typing", "Any")
_RANGE: Import = ("sqlalchemy.dialects.postgresql", "Range")
_DATETIME: Import = ("datetime", "")
_DECIMAL: Import = ("decimal", "")
# `sublimate_runtime.Domain`, qualified: a model class may well be named `Domain`.
_DOMAIN: Import = ("sublimate_runtime", "")

# Keyword arguments a type's repr shows that only restate a default.
_NOISE_KWARGS = frozenset({"astext_type", "text_type"})


def _loaded(dialect: str) -> Any:
    """A dialect module if something already imported it, else None. A type can only be an
    instance of a dialect's class once that dialect is imported, so the others need not be:
    importing PostgreSQL's and MySQL's types costs 0.04 s of a regeneration from SQLite."""
    return sys.modules.get(f"sqlalchemy.dialects.{dialect}")


@functools.cache
def _postgresql_types() -> tuple[
    dict[type, tuple[str, tuple[Import, ...]]],
    dict[type, tuple[str, tuple[Import, ...], FilterKind, bool]],
]:
    """(range type -> item type, special type -> typing) of PostgreSQL, once it is imported."""
    from sqlalchemy.dialects import postgresql

    ranges: dict[type, tuple[str, tuple[Import, ...]]] = {
        postgresql.INT4RANGE: ("int", ()),
        postgresql.INT8RANGE: ("int", ()),
        postgresql.NUMRANGE: ("decimal.Decimal", (_DECIMAL,)),
        postgresql.DATERANGE: ("datetime.date", (_DATETIME,)),
        postgresql.TSRANGE: ("datetime.datetime", (_DATETIME,)),
        postgresql.TSTZRANGE: ("datetime.datetime", (_DATETIME,)),
        postgresql.INT4MULTIRANGE: ("int", ()),
        postgresql.INT8MULTIRANGE: ("int", ()),
        postgresql.NUMMULTIRANGE: ("decimal.Decimal", (_DECIMAL,)),
        postgresql.DATEMULTIRANGE: ("datetime.date", (_DATETIME,)),
        postgresql.TSMULTIRANGE: ("datetime.datetime", (_DATETIME,)),
        postgresql.TSTZMULTIRANGE: ("datetime.datetime", (_DATETIME,)),
    }
    special: dict[type, tuple[str, tuple[Import, ...], FilterKind, bool]] = {
        # INET/CIDR are `Any`: psycopg and asyncpg return `ipaddress` objects (interfaces or
        # addresses, depending on the value), `native_inet_types=False` returns strings.
        postgresql.INET: ("Any", (_ANY,), FilterKind.NONE, False),
        postgresql.CIDR: ("Any", (_ANY,), FilterKind.NONE, False),
        postgresql.MACADDR: ("str", (), FilterKind.EQUALITY, True),
        postgresql.MACADDR8: ("str", (), FilterKind.EQUALITY, True),
        # SQLAlchemy 2.1 warns (SADeprecationWarning) on the operators of MONEY and HSTORE:
        # they are neither filtered nor sorted on.
        postgresql.MONEY: ("str", (), FilterKind.NONE, False),
        postgresql.TSVECTOR: ("str", (), FilterKind.NONE, False),
        postgresql.TSQUERY: ("str", (), FilterKind.NONE, False),
        postgresql.BIT: ("str", (), FilterKind.EQUALITY, True),
        postgresql.OID: ("int", (), FilterKind.RANGE, True),
        postgresql.REGCLASS: ("str", (), FilterKind.NONE, False),
        postgresql.REGCONFIG: ("str", (), FilterKind.NONE, False),
        postgresql.HSTORE: ("dict[str, str | None]", (), FilterKind.NONE, False),
    }
    return ranges, special


@functools.cache
def _mysql_types() -> dict[type, tuple[str, tuple[Import, ...], FilterKind, bool]]:
    """Special MySQL types -> typing, once the MySQL dialect is imported."""
    from sqlalchemy.dialects import mysql

    return {
        mysql.SET: ("set[str]", (), FilterKind.NONE, False),
        # SQLAlchemy 2.1 warns (SADeprecationWarning) on the operators of YEAR and MySQL's
        # BIT: they are neither filtered nor sorted on.
        mysql.YEAR: ("int", (), FilterKind.NONE, False),
        mysql.BIT: ("int", (), FilterKind.NONE, False),
    }


def reflected_column_type(
    sa_type: TypeEngine[Any],
    *,
    dialect: Dialect,
    where: str,
    check_values: tuple[str | int, ...] | None = None,
    reported_name: str | None = None,
) -> ColumnType:
    """The IR type of a reflected column on `dialect`.

    `check_values` are the values a `CHECK (col IN (...))` constraint allows: strings make a
    `Literal`, exactly {0, 1} on an integer column makes a boolean. `reported_name` is the type
    name the database gave for a type SQLAlchemy did not recognise (for the warning).
    """
    postgresql = _loaded("postgresql")
    if postgresql is not None and isinstance(sa_type, postgresql.DOMAIN):
        base = reflected_column_type(
            sa_type.data_type,
            dialect=dialect,
            where=where,
            check_values=check_values,
            reported_name=reported_name,
        )
        return _domain(sa_type, base)
    if _is_boolean_flag(sa_type, check_values):
        return column_type(sqltypes.Boolean(), where=where)
    special = _special(sa_type, where)
    if special is not None:
        return _dialect_spelled(special, sa_type, dialect, where)
    info = column_type(sa_type, where=where)
    if isinstance(sa_type, sqltypes.NullType):
        name = repr(reported_name) if reported_name else "(none declared)"
        message = (
            f"SQL type {name} is not understood: typed as Any, mapped as NullType"
            " (not filterable or sortable; create_all cannot create it)"
        )
        return dataclasses.replace(info, diagnostics=(Diagnostic(where=where, message=message),))
    # Integer bounds come from the SQL type (types.py; MySQL's unsigned types from 0). SQLite's
    # INTEGER is 64 bits (an INTEGER PRIMARY KEY is the rowid): a reflected one gets that range.
    if dialect.name == "sqlite" and info.int_range == int_range(sqltypes.Integer()):
        info = with_int_range(info, int_range(sqltypes.BigInteger()))
    if check_values and all(isinstance(v, str) for v in check_values) and info.python_type == "str":
        literal = f"Literal[{', '.join(naming.literal(v) for v in check_values)}]"
        info = dataclasses.replace(
            info,
            python_type=literal,
            dto_type=literal,
            filter_kind=FilterKind.EQUALITY,
            imports=tuple(sorted({("typing", "Literal")})),
        )
    return _dialect_spelled(info, sa_type, dialect, where)


def _domain(domain: Any, base: ColumnType) -> ColumnType:
    """`base` (the domain's base type) spelled as the domain itself. A base type that cannot be
    spelled (NullType) stays as it is: its column cannot be created anyway."""
    if not base.sql_type_expr or base.sql_type_expr.startswith("sa.types.NullType"):
        return base
    args = [naming.literal(str(domain.name)), base.sql_type_expr]
    if domain.not_null:
        args.append("not_null=True")
    if domain.collation and not getattr(domain.data_type, "collation", None):
        args.append(f"collation={naming.literal(str(domain.collation))}")
    if domain.constraint_name:
        args.append(f"constraint_name={naming.literal(str(domain.constraint_name))}")
    for keyword in ("check", "default"):
        value = getattr(domain, keyword)
        if value is not None:
            sql = str(getattr(value, "text", value))
            args.append(f"{keyword}=sa.text({naming.literal(sql)})")
    if domain.schema:
        args.append(f"schema={naming.literal(str(domain.schema))}")
    return dataclasses.replace(
        base,
        sql_type=f"DOMAIN {domain.name}",
        sql_type_expr=f"sublimate_runtime.Domain({', '.join(args)})",
        imports=tuple(sorted({*base.imports, _DOMAIN})),
    )


def _is_boolean_flag(sa_type: TypeEngine[Any], check_values: tuple[str | int, ...] | None) -> bool:
    mysql = _loaded("mysql")
    if mysql is not None and isinstance(sa_type, mysql.TINYINT) and sa_type.display_width == 1:
        return True  # MySQL's BOOL is TINYINT(1)
    return (
        isinstance(sa_type, sqltypes.Integer)
        and check_values is not None
        and sorted(map(str, check_values)) == ["0", "1"]
        and all(isinstance(v, int) for v in check_values)
    )


def _special(sa_type: TypeEngine[Any], where: str) -> ColumnType | None:
    cls = type(sa_type)
    special: dict[type, tuple[str, tuple[Import, ...], FilterKind, bool]] = {}
    if _loaded("postgresql") is not None:
        ranges, special = _postgresql_types()
        if cls in ranges:
            from sqlalchemy.dialects.postgresql.ranges import AbstractMultiRange

            item, imports = ranges[cls]
            multi = isinstance(sa_type, AbstractMultiRange)
            python = f"list[Range[{item}]]" if multi else f"Range[{item}]"
            return _typed(sa_type, python, (_RANGE, *imports), FilterKind.NONE, orderable=False)
    for table in (special, _mysql_types() if _loaded("mysql") is not None else {}):
        for klass in cls.__mro__:
            if klass in table:
                python, imports, filter_kind, orderable = table[klass]
                return _typed(sa_type, python, imports, filter_kind, orderable=orderable)
    return None


def _typed(
    sa_type: TypeEngine[Any],
    python: str,
    imports: tuple[Import, ...],
    filter_kind: FilterKind,
    *,
    orderable: bool,
) -> ColumnType:
    return ColumnType(
        python_type=python,
        dto_type=python,
        sql_type=type(sa_type).__name__,
        sql_type_expr="",  # spelled by _dialect_spelled
        max_length=None,
        precision=None,
        scale=None,
        filter_kind=filter_kind,
        orderable=orderable,
        imports=tuple(sorted(set(imports))),
        enum=None,
        diagnostics=(),
    )


def _dialect_spelled(
    info: ColumnType, sa_type: TypeEngine[Any], dialect: Dialect, where: str
) -> ColumnType:
    """`info` with the spelling that recreates the reflected DDL on `dialect`."""
    wanted = _ddl(sa_type, dialect)
    if (
        info.sql_type_expr
        and wanted is not None
        and _expression_ddl(info.sql_type_expr, dialect) == wanted
    ):
        return info
    spelled = type_expression(sa_type)
    if spelled is not None:
        expr, module = spelled
        if wanted is None or _expression_ddl(expr, dialect) == wanted:
            imports = set(info.imports)
            if module is not None:
                imports.add(("sqlalchemy.dialects", module))
            return dataclasses.replace(
                info,
                sql_type=info.sql_type if info.sql_type_expr else _human(sa_type),
                sql_type_expr=expr,
                imports=tuple(sorted(imports)),
            )
    if info.sql_type_expr:
        problem = f"SQL type {_human(sa_type)} is spelled {info.sql_type_expr}: its DDL differs"
        return dataclasses.replace(
            info, diagnostics=(*info.diagnostics, Diagnostic(where=where, message=problem))
        )
    problem = f"SQL type {_human(sa_type)} cannot be spelled: mapped as NullType"
    return dataclasses.replace(
        info,
        python_type="Any",
        dto_type="Any",
        sql_type_expr="sa.types.NullType()",
        filter_kind=FilterKind.NONE,
        orderable=False,
        imports=(_ANY,),
        diagnostics=(*info.diagnostics, Diagnostic(where=where, message=problem)),
    )


def _human(sa_type: TypeEngine[Any]) -> str:
    try:
        return " ".join(repr(sa_type).split())
    except Exception:  # a type whose repr fails: its class name is enough for a message
        return type(sa_type).__name__


def _ddl(sa_type: TypeEngine[Any] | None, dialect: Dialect) -> str | None:
    if sa_type is None:
        return None
    try:
        return str(sa_type.compile(dialect=dialect))
    except Exception:  # NullType and friends have no DDL
        return None


# --- spelling a type from its repr, safely ------------------------------------------------


@functools.lru_cache(maxsize=4096)  # a schema repeats a few dozen types over its columns
def _expression_ddl(expr: str, dialect: Dialect) -> str | None:
    """The DDL of a type expression made here, None when it cannot be compared."""
    return _ddl(_evaluate(expr), dialect)


def type_expression(sa_type: TypeEngine[Any]) -> tuple[str, str | None] | None:
    """`postgresql.INET()` for a dialect type (and the dialect module it needs), or None.

    The type's `repr` is parsed and accepted only when it is calls of type classes with literal
    (or nested type) arguments; each class is qualified (`sa.` or the dialect module) and the
    expression is printed again from the tree, so string arguments come out `repr`-quoted.
    """
    try:
        text = repr(sa_type)
    except Exception:  # a type whose repr fails cannot be spelled
        return None
    return _spelled(type(sa_type).__module__, text)


@functools.lru_cache(maxsize=4096)
def _spelled(module_name: str, text: str) -> tuple[str, str | None] | None:
    dialect_module: str | None = None
    if module_name.startswith("sqlalchemy.dialects."):
        dialect_module = module_name.split(".")[2]
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError):
        return None
    try:
        body = _qualify(tree.body, dialect_module)
    except _Rejected:
        return None
    return ast.unparse(body), dialect_module


class _Rejected(Exception):
    pass


def _type_class(module: object, name: str) -> bool:
    found = getattr(module, name, None)
    return isinstance(found, type) and issubclass(found, TypeEngine)


def _qualify(node: ast.expr, dialect_module: str | None) -> ast.expr:
    if isinstance(node, ast.Constant) and (
        node.value is None or isinstance(node.value, str | int | float | bool)
    ):
        return ast.Constant(node.value)
    if isinstance(node, ast.List | ast.Tuple):
        items = [_qualify(item, dialect_module) for item in node.elts]
        return ast.List(items, ast.Load()) if isinstance(node, ast.List) else ast.Tuple(items)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return ast.UnaryOp(ast.USub(), _qualify(node.operand, dialect_module))
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
        raise _Rejected
    name = node.func.id
    if dialect_module is not None and _type_class(_dialect(dialect_module), name):
        prefix = dialect_module
    elif _type_class(sqlalchemy, name):
        prefix = "sa"
    else:
        raise _Rejected
    func = ast.Attribute(ast.Name(prefix, ast.Load()), name, ast.Load())
    args = [_qualify(arg, dialect_module) for arg in node.args]
    keywords = [
        ast.keyword(kw.arg, _qualify(kw.value, dialect_module))
        for kw in node.keywords
        if kw.arg is not None and kw.arg not in _NOISE_KWARGS and kw.arg.isidentifier()
    ]
    if len(keywords) != len([kw for kw in node.keywords if kw.arg not in _NOISE_KWARGS]):
        raise _Rejected
    return ast.Call(func, args, keywords)


_DIALECTS = frozenset({"postgresql", "mysql", "sqlite", "mssql", "oracle"})


def _dialect(name: str) -> object:
    return importlib.import_module(f"sqlalchemy.dialects.{name}")


def _evaluate(expr: str) -> TypeEngine[Any] | None:
    """The type an expression made here stands for (to compare DDL), or None."""
    try:
        tree = ast.parse(expr, mode="eval")
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        if not names <= {"sa", *_DIALECTS}:
            return None
        namespace: dict[str, Any] = {"__builtins__": {}, "sa": sqlalchemy}
        for name in names - {"sa"}:
            namespace[name] = _dialect(name)
        value = eval(compile(tree, "<type>", "eval"), namespace)  # our own checked expression
    except Exception:  # not evaluable here: treat as "cannot compare"
        return None
    return value if isinstance(value, TypeEngine) else None
