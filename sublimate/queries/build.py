"""Parsed and described queries -> the IR (`ir.QueryFile`): names handed out, types decided.

Which database describes the queries: `queries_url` when set, else the project's `url`, else
(models as input) an in-memory SQLite database made from the models' tables, so a models-only
project needs no server; when its queries use another dialect's SQL (or its models another
dialect's types), `queries_url` names a database that has the schema.

A query that cannot be generated is a `QueryError` value in `Built.errors` (file, line, the
database's message): `generate` stops on any before writing, `check` reports them as findings.
"""

from __future__ import annotations

import dataclasses
import os
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import naming
from ..introspect import IntrospectError
from ..ir import Entity, PageTerm, Query, QueryColumn, QueryFile, QueryParam, Schema
from ..settings import Settings
from .described import Described, Describer, Origin, in_list_params, writes
from .pages import keyset_of
from .parse import ParsedQuery, QueryError, parse_file
from .pytypes import PyType


@dataclass(frozen=True, slots=True)
class Built:
    files: tuple[QueryFile, ...]
    errors: tuple[QueryError, ...]
    reads: dict[tuple[str, str], tuple[str, ...]]  # (file, query) -> origins, for messages


def sql_files(settings: Settings) -> list[Path]:
    """The `.sql` files of the `queries` directory (none when it does not exist), sorted."""
    directory = settings.root / settings.queries
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.rglob("*.sql") if p.is_file())


def build(settings: Settings, schema: Schema, recorded: Mapping[str, Any] | None = None) -> Built:
    """Every query file parsed, described and named; errors collected, not raised.

    `recorded` is the last manifest's `queries` (manifest.describe_queries): when a query no
    longer passes, a column it read that is gone from the schema is named instead of the
    database's words about it ("column customer.email no longer exists")."""
    paths = sql_files(settings)
    if not paths:
        return Built((), (), {})
    parsed: list[tuple[str, list[ParsedQuery]]] = []
    errors: list[QueryError] = []
    for path in paths:
        relative = _shown(path, settings)
        try:
            parsed.append((relative, parse_file(relative, path.read_text(encoding="utf-8"))))
        except QueryError as error:
            errors.append(error)
        except (OSError, UnicodeDecodeError) as error:
            errors.append(QueryError(relative, 1, "", f"cannot read it: {error}"))
    files: list[QueryFile] = []
    reads: dict[tuple[str, str], tuple[str, ...]] = {}
    modules = naming.Scope(reserved={"__init__"})
    with describer_for(settings) as describer:
        for relative, queries in parsed:
            described: list[tuple[ParsedQuery, Described]] = []
            for query in queries:
                try:
                    described.append((query, describer.describe(query)))
                except QueryError as error:
                    errors.append(_gone(error, describer, recorded or {}))
            module = modules.allocate(naming.module_stem(naming.snake(Path(relative).stem)))
            if settings.queries_url is None and settings.url is None:  # the models' scratch
                described = [(q, _model_types(answer, schema)) for q, answer in described]
            try:
                built = _file(relative, module, describer.dialect, described, schema)
            except QueryError as error:
                errors.append(error)
                continue
            files.append(built)
            for query, answer in described:
                origins = (str(c.origin) for c in answer.columns if c.origin is not None)
                reads[(relative, query.name)] = tuple(dict.fromkeys(origins))
    return Built(tuple(files), tuple(errors), reads)


def _model_types(answer: Described, schema: Schema) -> Described:
    """On the models' SQLite scratch the models are the truth, not SQLite's declared types: a
    column (or a parameter typed from one) takes its model attribute's type and SQLAlchemy
    type (`uuid.UUID` through `sa.Uuid()`, an aware `sa.DateTime(timezone=True)`). An enum
    column keeps its stored text (`str`): the model's Enum type may store values or names, and
    the IR's type expression does not say which."""
    columns = tuple(
        dataclasses.replace(c, type=_model_type(c.origin, schema) or c.type) for c in answer.columns
    )
    origins = answer.param_origins or (None,) * len(answer.params)
    params = tuple(
        (_model_type(origin, schema) or found, nullable)
        for (found, nullable), origin in zip(answer.params, origins, strict=True)
    )
    return dataclasses.replace(answer, columns=columns, params=params)


def _model_type(origin: Origin | None, schema: Schema) -> PyType | None:
    for entity in schema.entities:
        if _same_table(entity, origin):
            for column in entity.columns:
                if origin is not None and column.sql_name == origin.column:
                    if column.enum is not None:  # stored by its own rules (values_callable...)
                        return None
                    imports = tuple(i for i in column.imports if i[0] != "msgspec")
                    imports = tuple(i for i in imports if i != ("typing", "Annotated"))
                    return PyType(
                        column.python_type, imports, column.sql_type_expr, column.sql_type
                    )
    return None


def _gone(error: QueryError, describer: Describer, recorded: Mapping[str, Any]) -> QueryError:
    """The error, saying which recorded column disappeared when one did."""
    signature = recorded.get(error.path, {}).get(error.name, {})
    reads = signature.get("reads", []) if isinstance(signature, dict) else []
    for origin in reads:
        if isinstance(origin, str) and not describer.column_exists(origin):
            message = f"column {origin} no longer exists ({error.message})"
            return QueryError(error.path, error.line, error.name, message)
    return error


def _shown(path: Path, settings: Settings) -> str:
    """The file as messages, headers and the manifest name it: relative to the project (or
    under the `queries` setting as written, for a directory outside the project)."""
    try:
        return path.relative_to(settings.root).as_posix()
    except ValueError:
        directory = settings.root / settings.queries
        return (Path(settings.queries) / path.relative_to(directory)).as_posix()


@contextmanager
def describer_for(settings: Settings) -> Iterator[Describer]:
    """The describer of the database that checks the queries (see the module docstring)."""
    url = settings.queries_url or settings.url
    describer: Describer
    if url is None:
        describer = _models_scratch(settings)
    else:
        from ..introspect.connect import make_engine

        engine = make_engine(os.path.expandvars(url))
        backend = engine.url.get_backend_name()
        if backend == "postgresql":
            from .describe_pg import PgDescriber

            describer = PgDescriber(engine)
        elif backend == "sqlite":
            from .describe_sqlite import SqliteDescriber

            database = engine.url.database or ""
            engine.dispose()
            describer = SqliteDescriber(_sqlite_ddl(database))
        elif backend in ("mysql", "mariadb") and engine.url.get_driver_name() == "pymysql":
            from .describe_mariadb import MariaDbDescriber

            describer = MariaDbDescriber(engine)
        else:
            engine.dispose()
            raise IntrospectError(
                "typed queries are described on PostgreSQL (psycopg), MariaDB/MySQL (pymysql)"
                f" and SQLite; not on {engine.url.drivername}: set queries_url to a database"
                " one of them reaches"
            )
    try:
        yield describer
    finally:
        describer.close()


def _sqlite_ddl(database: str) -> list[str]:
    """The schema of a SQLite file (tables and views, in creation order), read-only."""
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as source:
            rows = source.execute(
                "SELECT sql FROM sqlite_master WHERE type IN ('table', 'view') AND sql IS NOT"
                " NULL AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
            ).fetchall()
    except sqlite3.Error as error:
        raise IntrospectError(f"cannot read the schema of {database}: {error}") from error
    return [sql for (sql,) in rows]


def _models_scratch(settings: Settings) -> Describer:
    """An empty in-memory SQLite database with the models' tables."""
    from sqlalchemy.dialects import sqlite
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.schema import CreateTable

    from ..introspect.model_registry import load_base
    from .describe_sqlite import SqliteDescriber

    if settings.models is None:
        raise IntrospectError("typed queries need a database: set models, url or queries_url")
    metadata = load_base(settings.models).registry.metadata
    dialect = sqlite.dialect()
    try:
        ddl = [str(CreateTable(table).compile(dialect=dialect)) for table in metadata.sorted_tables]
    except SQLAlchemyError as error:
        raise IntrospectError(
            f"the models cannot be created on SQLite to describe the queries ({error}); set"
            " queries_url to a database that has their tables"
        ) from error
    return SqliteDescriber(ddl)


def _file(
    path: str,
    module: str,
    dialect: str,
    described: list[tuple[ParsedQuery, Described]],
    schema: Schema,
) -> QueryFile:
    scope = naming.Scope(
        reserved=naming.QUERY_MODULE_BOUND | {e.names.read for e in schema.entities}
    )
    shapes: dict[tuple[tuple[str, str], ...], str] = {}
    queries = []
    for query, answer in described:
        names = naming.query_names(query.name, scope)
        pages = scope.allocate(f"{names[2]}_PAGES") if query.command == "many_after" else ""
        queries.append(_query(query, answer, names, shapes, schema, pages))
    return QueryFile(path=path, module=module, dialect=dialect, queries=tuple(queries))


def _query(
    query: ParsedQuery,
    answer: Described,
    names: tuple[str, str, str, str],
    shapes: dict[tuple[tuple[str, str], ...], str],
    schema: Schema,
    pages: str = "",
) -> Query:
    function, async_function, constant, row = names
    returns = query.command in ("one", "many", "many_after")
    if returns and not answer.columns:
        raise query.error(
            f"a :{query.command} query must return columns; use :exec or :execrows for a"
            " statement without a result (or add RETURNING)"
        )
    columns = _columns(query, answer) if returns else ()
    row_import = None
    if returns:
        entity = _read_dto(answer, columns, schema)
        if entity is not None:  # the row is built by keywords: the DTO's fields
            row, row_import = (
                entity.names.read,
                (f"..dtos.{entity.names.module}", entity.names.read),
            )
            columns = tuple(
                dataclasses.replace(c, attr=m.attr)
                for c, m in zip(columns, entity.columns, strict=True)
            )
        else:
            shape = tuple((c.attr, c.python_type) for c in columns)
            row = shapes.setdefault(shape, row)
    else:
        row = ""
    params = _params(query, answer)
    sql, wrote = query.sql, writes(query.tokens)
    page: tuple[PageTerm, ...] = ()
    if pages:
        sql, page = keyset_of(query, answer, columns, params, writes=wrote, schema=schema)
    return Query(
        name=query.name,
        function=function,
        async_function=async_function,
        constant=constant,
        command=query.command,
        line=query.line,
        sql=sql,
        writes=wrote,
        params=params,
        columns=columns,
        row=row,
        row_import=row_import,
        page=page,
        pages=pages,
    )


def _params(query: ParsedQuery, answer: Described) -> tuple[QueryParam, ...]:
    out = []
    arguments = naming.query_argument_names(query.params)
    in_lists = in_list_params(query.tokens)
    for name, argument, (found, nullable) in zip(
        query.params, arguments, answer.params, strict=True
    ):
        hint = query.param_hint(name)
        if hint is not None:
            found, nullable = hint.type, hint.nullable
        expanding = name in in_lists and found.annotation.startswith("list[")
        out.append(
            QueryParam(
                sql_name=name,
                arg=argument,
                python_type=found.annotation + (" | None" if nullable else ""),
                sql_type=found.sql,
                sa_type=found.element if expanding else found.sa_type,
                imports=found.imports,
                expanding=expanding,
            )
        )
    return tuple(out)


def _columns(query: ParsedQuery, answer: Described) -> tuple[QueryColumn, ...]:
    out = []
    attrs = naming.query_field_names(c.label for c in answer.columns)
    for column, attr in zip(answer.columns, attrs, strict=True):
        found, nullable = column.type, column.nullable
        hint = query.column_hint(column.label)
        if hint is not None:
            found, nullable = hint.type, hint.nullable
        out.append(
            QueryColumn(
                label=column.label,
                attr=attr,
                python_type=found.annotation + (" | None" if nullable else ""),
                sql_type=found.sql,
                sa_type=found.sa_type,
                nullable=nullable,
                origin="" if column.origin is None else str(column.origin),
                imports=found.imports,
            )
        )
    return tuple(out)


def _read_dto(answer: Described, columns: tuple[QueryColumn, ...], schema: Schema) -> Entity | None:
    """The model whose Read DTO the row is: exactly its columns, in order, with their
    nullability."""
    origins = [c.origin for c in answer.columns]
    if not origins or any(o is None for o in origins):
        return None
    tables = {(o.schema, o.table) for o in origins if o is not None}
    if len(tables) != 1:
        return None
    names = [o.column for o in origins if o is not None]
    for entity in schema.entities:
        if not _same_table(entity, origins[0]) or names != [c.sql_name for c in entity.columns]:
            continue
        if all(q.nullable == c.nullable for q, c in zip(columns, entity.columns, strict=True)):
            return entity
    return None


def _same_table(entity: Entity, origin: Origin | None) -> bool:
    if origin is None or entity.table != origin.table:
        return False
    return entity.schema is None or entity.schema == origin.schema
