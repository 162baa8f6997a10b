"""Litestar wiring for the apps sublimate generates (`litestar = true`), reusable in your own.

The generated `app.py` carries only what is about its project (its controllers, its logger, its
`create_app`); the machinery every app shares lives here, so a fix reaches every app by upgrading
`sublimate-runtime`, not by regenerating. An app of your own can take the same answers:

    Litestar(
        route_handlers=[...],
        dependencies={"db_session": session_provider(engine)},
        exception_handlers=exception_handlers(logging.getLogger("myapp")),
    )

What the answers guarantee: the runtime's errors become HTTP answers (`NotFoundError` 404;
`ConflictError` and `ForeignKeyError` 409, a conflict with its key's columns;
`IntegrityViolationError`, a CHECK or NOT NULL constraint, 422 naming the constraint or column;
`DataError`, a value the column cannot hold, 400 naming the column when the database said which;
`UnsupportedWriteError`, a write a PostgreSQL rule rewrites, 501 naming the table). A value the
database refuses in a read (a filter operand no type bound catches) is a 400 as well, classified
by `refused_value`. No answer carries SQL or driver text. Any other exception is logged with its
traceback and the request's method and path (never its body) and answered with a plain 500.

Needs the `litestar` extra: `pip install 'sublimate-runtime[litestar]'`. The top-level
`sublimate_runtime` package does not import this module.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, overload

import msgspec
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from .cache_env import cache_from_environment
from .data_errors import refused_value
from .dto import is_pydantic
from .error_details import violated
from .errors import (
    ConflictError,
    DataError,
    ForeignKeyError,
    IntegrityViolationError,
    NotFoundError,
    UnsupportedWriteError,
)
from .extras import missing_extra
from .filter_tree import decode_filter
from .pagination import InvalidCursorError, KeysetPage, OffsetPage
from .session import async_session_factory
from .web import (
    CURSOR_DOC,
    LOAD_DOC,
    MAX_LIMIT,
    MAX_OFFSET,
    ORDER_DOC,
    AsyncKeysetLists,
    AsyncLists,
    InvalidRequest,
    list_page_async,
)

try:
    from litestar import Request, Response
    from litestar.constants import UNDEFINED_SENTINELS
    from litestar.di import Provide
    from litestar.exceptions import ValidationException
    from litestar.exceptions.responses import create_exception_response
    from litestar.openapi.spec import OpenAPIType, Schema
    from litestar.params import ParameterKwarg
    from litestar.plugins import OpenAPISchemaPlugin
    from litestar.types import ExceptionHandlersMap
    from litestar.typing import FieldDefinition
except ModuleNotFoundError as error:
    raise missing_extra(error, extra="litestar", needed_by=__name__) from None

if TYPE_CHECKING:  # the cache machinery loads only for an app that caches
    from litestar._openapi.schema_generation import SchemaCreator

    from .cache import Cache

__all__ = [
    "CURSOR_DOC",
    "LOAD_DOC",
    "MAX_LIMIT",
    "MAX_OFFSET",
    "ORDER_DOC",
    "FilterParameter",
    "FilterSchemaPlugin",
    "cache_from_environment",
    "conflict",
    "data_error",
    "exception_handlers",
    "filter_parameter",
    "foreign_key",
    "integrity_violation",
    "list_page",
    "not_found",
    "parse_where",
    "session_provider",
    "unsupported_write",
]

Answer = Response[dict[str, Any]]
F = TypeVar("F")  # a Filter: a msgspec Struct, or a pydantic model (dto = "pydantic")
_W = TypeVar("_W")
_O = TypeVar("_O")


def not_found(_: Request[Any, Any, Any], error: NotFoundError) -> Answer:
    """404 with the error's text (the model and the key asked for, which the caller sent)."""
    return Response({"status_code": 404, "detail": str(error)}, status_code=404)


def conflict(_: Request[Any, Any, Any], error: ConflictError) -> Answer:
    """409 with the columns of the unique key the write collided on, so a client can say which."""
    body = {"status_code": 409, "detail": str(error), "columns": list(error.columns)}
    return Response(body, status_code=409)


def foreign_key(_: Request[Any, Any, Any], error: ForeignKeyError) -> Answer:
    """409: the write references a row that is missing (or is referenced by one that remains)."""
    return Response({"status_code": 409, "detail": str(error)}, status_code=409)


def integrity_violation(_: Request[Any, Any, Any], error: IntegrityViolationError) -> Answer:
    """422 naming the constraint (or the column) when the database said which; never its text."""
    names = violated(error.original)
    what = [f"constraint {names.constraint}"] if names.constraint else []
    what += [f"column {names.column}"] if names.column else []
    detail = f"{error.model} violates {', '.join(what) or 'a constraint'}"
    body: dict[str, Any] = {"status_code": 422, "detail": detail, "constraint": names.constraint}
    if names.column:
        body["columns"] = [names.column]
    return Response(body, status_code=422)


def data_error(_: Request[Any, Any, Any], error: DataError) -> Answer:
    """400 naming the column when the database said which; never the driver's message."""
    where = f" (column {error.column})" if error.column else ""
    body = {
        "status_code": 400,
        "detail": f"{error.model}: a value does not fit its column{where}",
        "columns": [error.column] if error.column else [],
    }
    return Response(body, status_code=400)


def unsupported_write(_: Request[Any, Any, Any], error: UnsupportedWriteError) -> Answer:
    """501: a rule rewrites this table's writes, so no generated write can hand the row back."""
    where = f"table {error.table}" if error.table else "its table"
    detail = (
        f"{error.model}: a database rule rewrites writes to {where}; this API cannot write it"
        " (write it with your own SQL)"
    )
    return Response({"status_code": 501, "detail": detail, "table": error.table}, status_code=501)


def _server_error(
    logger: logging.Logger, request: Request[Any, Any, Any], error: Exception
) -> Answer:
    """Log the unexpected error with its traceback; answer a plain 500 that tells nothing."""
    logger.error("%s %s failed", request.method, request.url.path, exc_info=error)
    return Response({"status_code": 500, "detail": "Internal Server Error"}, status_code=500)


def _statement_error(
    logger: logging.Logger, request: Request[Any, Any, Any], error: StatementError | OverflowError
) -> Answer:
    """A statement failed outside a write guard (a read): 400 when the database refused a value
    (SQLSTATE class 22, a MariaDB data error, SQLite's int beyond 64 bits) or SQLAlchemy could not
    convert it for its column (an overflow), else unexpected: logged, 500."""
    tags = request.route_handler.resolve_tags()
    refused = refused_value(error, tags[0] if tags else request.url.path)
    if refused is None:
        return _server_error(logger, request, error)
    return data_error(request, refused)


def exception_handlers(logger: logging.Logger) -> ExceptionHandlersMap:
    """The error mapping of a generated app, unexpected errors logged on `logger`.

    Pass the app's own logger (the generated app passes its module's), so its records carry the
    app's name. A fresh dict each call: add or replace handlers in it freely.
    """

    def statement_error(
        request: Request[Any, Any, Any], error: StatementError | OverflowError
    ) -> Answer:
        return _statement_error(logger, request, error)

    def server_error(request: Request[Any, Any, Any], error: Exception) -> Answer:
        return _server_error(logger, request, error)

    return {
        NotFoundError: not_found,
        ConflictError: conflict,
        ForeignKeyError: foreign_key,
        IntegrityViolationError: integrity_violation,
        DataError: data_error,
        UnsupportedWriteError: unsupported_write,
        StatementError: statement_error,
        OverflowError: statement_error,
        ValidationException: invalid_body,
        500: server_error,
    }


def invalid_body(request: Request[Any, Any, Any], error: ValidationException) -> Response[Any]:
    """Litestar's 400, its fields named as the msgspec flavour names them when the body is a
    pydantic model (``dto = "pydantic"``): Litestar joins pydantic's error locations, which hold
    the union member tried (``name.constrained-str``, ``name.is-instance[UnsetType]``), one
    error per member; here one per field, named by its path (``name``)."""
    handler = request.scope.get("route_handler")
    signature = getattr(handler, "parsed_fn_signature", None)
    kind = getattr(getattr(signature, "parameters", {}).get("data"), "annotation", None)
    if isinstance(kind, type) and is_pydantic(kind) and isinstance(error.extra, list):
        from .pydantic_dto import field_path, plain_message

        fields: dict[tuple[str, str], dict[str, Any]] = {}
        for item in error.extra:
            if not isinstance(item, dict):
                continue
            source = str(item.get("source", "body"))
            if source != "body":  # a path or query parameter's (item_id): as Litestar names it
                fields.setdefault((source, str(item.get("key"))), item)
                continue
            message = plain_message(str(item.get("message", "")))
            if not isinstance(item.get("key"), str):  # the whole body (a model's own check)
                fields.setdefault((source, ""), {**item, "message": message})
                continue
            unknown = message == "Extra inputs are not permitted"
            key = field_path(kind, item["key"].split("."), unknown=unknown) or "body"
            fields.setdefault((source, key), {**item, "key": key, "message": message})
        error = ValidationException(error.detail, extra=list(fields.values()))
    return create_exception_response(request, error)


def session_provider(engine: AsyncEngine, cache: Cache | None = None) -> Provide:
    """A dependency yielding one AsyncSession per request: commit on success, else roll back.

    The rollback covers every exception the handler raises (the error handlers above answer
    after it), so a failed request never leaves a half-written transaction behind. With `cache`,
    every request's session reads the cached models through it (`Cache.attach`).
    """
    factory = async_session_factory(engine)
    if cache is not None:
        cache.attach(factory)

    async def provide(request: Request[Any, Any, Any]) -> AsyncIterator[AsyncSession]:
        async with factory() as session:
            try:
                yield session
            except BaseException:
                await session.rollback()
                raise
            else:
                await session.commit()

    return Provide(provide)


@dataclass(frozen=True)
class FilterParameter(ParameterKwarg):
    """A query parameter whose text is a Filter as JSON (`where={"name": {"eq": "a"}}`).

    Litestar passes the text on (it decodes query parameters itself, never as JSON); with
    :class:`FilterSchemaPlugin` the OpenAPI schema says what the text holds: a string whose
    `contentMediaType` is JSON and whose `contentSchema` is the Filter's component, recursive
    and/or/not and relationship fields included. Made by :func:`filter_parameter`.
    """

    filter_type: Any = None


def filter_parameter(filter_type: type[Any], description: str | None = None) -> FilterParameter:
    """The ``Annotated`` metadata of a ``where: str | None`` query parameter holding a
    ``filter_type`` as JSON (decode it with ``sublimate_runtime.decode_filter``)."""
    # A component key of its own: Litestar names a plugin's schema before asking the plugin,
    # and cannot name `str | None`.
    name = filter_type.__name__
    if description is None:
        description = (
            f"A {name} as JSON: conditions on columns, on related rows (relationship fields) "
            "and nested with and/or/not, bounded in depth and size; 400 when invalid."
        )
    key = f"{name}Parameter"
    return FilterParameter(
        filter_type=filter_type, description=description, schema_component_key=key
    )


class FilterSchemaPlugin(OpenAPISchemaPlugin):
    """Shows a :class:`FilterParameter` in the OpenAPI schema as JSON text of its Filter.

    For pydantic DTOs (``dto = "pydantic"``) it also tells Litestar that ``UNSET`` is no default
    (the field is absent: there is none to show), which Litestar would otherwise put in the
    schema and fail to encode: its set of markers holds msgspec's class ``UnsetType``, where the
    value ``UNSET`` was meant, and its pydantic plugin reads that set only.
    """

    def __init__(self) -> None:
        UNDEFINED_SENTINELS.add(msgspec.UNSET)

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        return isinstance(field_definition.kwarg_definition, FilterParameter)

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        kwarg = field_definition.kwarg_definition
        assert isinstance(kwarg, FilterParameter)
        content = schema_creator.for_field_definition(
            FieldDefinition.from_annotation(kwarg.filter_type)
        )
        return Schema(
            type=OpenAPIType.STRING,
            content_media_type="application/json",
            content_schema=content,
            description=kwarg.description,
        )


# --- the list route (the generated controllers' `list_items`) -------------------------------


def parse_where(where: str | None, filter_type: type[F]) -> F | None:
    """The `where` query parameter as a typed filter, with the limits of
    :func:`~sublimate_runtime.decode_filter`; 400 with msgspec's message if invalid."""
    if where is None:
        return None
    if is_pydantic(filter_type):  # dto = "pydantic": the same answer, from pydantic's error
        found: F = _pydantic_where(where, filter_type)
        return found
    try:
        return decode_filter(where, filter_type)  # type: ignore[type-var]
    except msgspec.DecodeError as error:
        raise ValidationException(f"where: {error}") from None


def _pydantic_where(where: str, filter_type: Any) -> Any:
    from pydantic import ValidationError

    from .pydantic_dto import error_of, json_decoder

    try:
        return json_decoder(filter_type)(where)
    except ValidationError as error:
        key, message = error_of(filter_type, error)
    except ValueError as error:  # nested past the interpreter's recursion limit
        key, message = "", str(error)
    at = f".{key}" if key and not key.startswith("[") else key
    raise ValidationException(f"where: {message} - at `${at}`")


@overload
async def list_page(
    service: AsyncLists[_W, _O],
    shape: type[Any] | None,
    cursor: None,
    limit: int,
    offset: int,
    where: _W | None,
    order_by: _O | None,
) -> OffsetPage[Any]: ...
@overload
async def list_page(
    service: AsyncKeysetLists[_W, _O],
    shape: type[Any] | None,
    cursor: str | None,
    limit: int,
    offset: int,
    where: _W | None,
    order_by: _O | None,
) -> OffsetPage[Any] | KeysetPage[Any]: ...
async def list_page(
    service: Any,
    shape: type[Any] | None,
    cursor: str | None,
    limit: int,
    offset: int,
    where: Any,
    order_by: Any,
) -> OffsetPage[Any] | KeysetPage[Any]:
    """The page a list route answers (:func:`sublimate_runtime.web.list_page_async`), its 400s
    as Litestar's: a cursor with an offset, or a cursor that is not one of this list's."""
    try:
        return await list_page_async(service, shape, cursor, limit, offset, where, order_by)
    except InvalidRequest as error:
        raise ValidationException(str(error)) from None
    except InvalidCursorError as error:
        raise ValidationException(f"cursor: {error}") from None
