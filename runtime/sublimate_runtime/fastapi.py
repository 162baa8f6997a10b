"""FastAPI wiring for the apps sublimate generates (`fastapi = true`), reusable in your own.

The generated routers carry only what is about their model (their routes, their DTOs); the
machinery every app shares lives here, so a fix reaches every app by upgrading
`sublimate-runtime`, not by regenerating. An app of your own takes it in one call:

    app = FastAPI()
    app.include_router(film_router)
    install(app, engine, logger=logging.getLogger("myapp"), schemas=FILM_SCHEMAS)

Why the DTOs stay msgspec Structs: FastAPI validates with pydantic, which does not know them.
Bodies are therefore read raw and decoded by msgspec (:func:`json_body`: the DTO's bounds apply
as they do everywhere else, an invalid body is a 400 naming the field), and answers are encoded
by msgspec (:func:`encoded`). The OpenAPI schema documents them from msgspec's own JSON schema
(:func:`json_responses`, :func:`request_body`, :func:`filter_query`; the components are added by
:func:`install`), so `minimum`, `maximum`, `pattern` and the recursive Filter all show. With
``dto = "pydantic"`` the same functions take pydantic models (asked once per type): pydantic
validates the bodies and the `where` (the same 400s, the field named once), encodes a page's
items in one call, and gives their schema components.

What the answers guarantee (the same as the generated Litestar app): an invalid parameter or body
is a 400 whose `extra` names each field (`key`) and where it was (`source`); `NotFoundError` 404;
`ConflictError` and `ForeignKeyError` 409, a conflict with its key's columns;
`IntegrityViolationError` 422 naming the constraint or column; `DataError` 400 naming the column
when the database said which; `UnsupportedWriteError` 501; a value the database refuses in a read
400 (`refused_value`); FastAPI's own answers (404 for no such route, 405) take the same shape. No
answer carries SQL or driver text. Any other exception is logged once with its traceback and
the request's method and path (never its body) and answered with a plain 500
(:class:`ServerErrors`). A body past :data:`MAX_BODY_SIZE` (10 MB, Litestar's default; set by
``install(max_body_size=)``) is a 413, read in chunks and never further. The list routes'
machinery, shared with the Litestar controllers, is :mod:`sublimate_runtime.web`'s.

Needs the `fastapi` extra: `pip install 'sublimate-runtime[fastapi]'` (and `[async]` for async
sessions). The top-level `sublimate_runtime` package does not import this module.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import msgspec
from sqlalchemy import Engine
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session

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
from .session import async_session_factory, session_factory
from .web import (
    CURSOR_DOC,
    LOAD_DOC,
    MAX_LIMIT,
    MAX_OFFSET,
    ORDER_DOC,
    InvalidRequest,
    list_page,
    list_page_async,
)

try:
    from fastapi import Depends, FastAPI, Query, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse, Response
    from starlette.exceptions import HTTPException
    from starlette.types import ASGIApp, Message, Receive, Scope, Send
except ModuleNotFoundError as error:
    raise missing_extra(error, extra="fastapi", needed_by=__name__) from None

if TYPE_CHECKING:  # the cache machinery loads only for an app that caches
    from .cache import Cache

__all__ = [
    "CURSOR_DOC",
    "LOAD_DOC",
    "MAX_BODY_SIZE",
    "MAX_LIMIT",
    "MAX_OFFSET",
    "ORDER_DOC",
    "AsyncDbSession",
    "DbSession",
    "InvalidRequest",
    "ServerErrors",
    "async_session",
    "bounded_body",
    "cache_from_environment",
    "encoded",
    "exception_handlers",
    "filter_query",
    "install",
    "json_body",
    "json_responses",
    "list_page",
    "list_page_async",
    "parse_where",
    "request_body",
    "sync_session",
]

T = TypeVar("T")
F = TypeVar("F")  # a Filter: a msgspec Struct, or a pydantic model (dto = "pydantic")
REF = "#/components/schemas/{name}"
STATE = "sublimate_sessions"  # the app.state attribute holding the session factory
BODY_LIMIT = "sublimate_max_body_size"  # the app.state attribute holding the body size bound
MAX_BODY_SIZE = 10_000_000
"""The default bound of a request body, in bytes: Litestar's `request_max_body_size` default."""
_DIGITS = re.compile(r"[0-9]+")  # a Content-Length (ASCII digits only: `int` takes others)
_AT = re.compile(r"\s+-\s+at `\$\.?([^`]*)`$")  # msgspec's "... - at `$.field`"
_UNKNOWN = re.compile(r"unknown field `([^`]*)`")  # msgspec's "Object contains unknown field `x`"


def _answer(status: int, detail: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"status_code": status, "detail": detail, **extra}, status_code=status)


def _invalid(errors: Iterable[tuple[str, str, str]]) -> JSONResponse:
    """400 listing each (key, source, message), in `extra` as Litestar's validation errors are."""
    found = list(errors)
    extra = [{"key": key, "source": source, "message": message} for key, source, message in found]
    detail = "; ".join(
        f"{source} {key}: {message}" if key != source else f"{source}: {message}"
        for key, source, message in found
    )
    return _answer(400, f"Validation failed: {detail}", extra=extra)


# --- session per request -------------------------------------------------------------------


def _factory(request: Request) -> Any:
    factory = getattr(request.app.state, STATE, None)
    if factory is None:
        raise RuntimeError("no session factory: call sublimate_runtime.fastapi.install(app, ...)")
    return factory


async def async_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One AsyncSession per request: commit when the route returns, else roll back.

    Used with ``scope="function"`` (:data:`AsyncDbSession`), so the commit runs before the answer
    is sent: a commit that fails is the request's error, never a 2xx already on its way.
    """
    async with _factory(request)() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


def sync_session(request: Request) -> Iterator[Session]:
    """The sync twin of :func:`async_session` (FastAPI runs it in its thread pool)."""
    with _factory(request)() as session:
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        else:
            session.commit()


AsyncDbSession = Annotated[AsyncSession, Depends(async_session, scope="function")]
"""The request's AsyncSession (a route parameter's type): commit or roll back, see above."""
DbSession = Annotated[Session, Depends(sync_session, scope="function")]
"""The request's Session (sync routes)."""


# --- bodies, answers, query parameters -----------------------------------------------------


def _field_of(message: str) -> tuple[str, str]:
    """msgspec's message split into the field it names ("" for the whole body) and the rest."""
    found = _AT.search(message)
    if found is None:
        unknown = _UNKNOWN.search(message)
        return (unknown.group(1) if unknown else ""), message
    message, where = message[: found.start()], found.group(1)
    unknown = _UNKNOWN.search(message)
    return ".".join(filter(None, (where, unknown.group(1) if unknown else ""))), message


async def bounded_body(request: Request) -> bytes:
    """The request's body, read chunk by chunk up to the app's bound (``install(max_body_size=)``,
    default :data:`MAX_BODY_SIZE`): 413 as soon as a Content-Length announces more, or the bytes
    received (chunked requests have no Content-Length) go past it; never more held in memory."""
    limit: int | None = getattr(request.app.state, BODY_LIMIT, MAX_BODY_SIZE)
    if limit is None:
        return await request.body()
    announced = request.headers.get("content-length")
    if announced is not None:
        if _DIGITS.fullmatch(announced) is None:
            raise HTTPException(400, "Invalid Content-Length header")
        digits = announced.lstrip("0") or "0"
        if len(digits) > len(str(limit)) or int(digits) > limit:  # no int() of 10**6 digits
            raise HTTPException(413, "Request Entity Too Large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, "Request Entity Too Large")
        chunks.append(chunk)
    return b"".join(chunks)


def json_body(type_: type[T]) -> Any:
    """The ``Annotated`` metadata of a body parameter decoded by msgspec into ``type_``.

    `data: Annotated[FilmCreate, json_body(FilmCreate)]`: malformed JSON, or a value the DTO
    refuses (its bounds, an unknown enum member...), is a 400 naming the field.
    """

    if is_pydantic(type_):  # dto = "pydantic": validated by pydantic, the same 400s
        return Depends(_pydantic_body(type_))

    async def decode(request: Request) -> T:
        raw = await bounded_body(request)
        try:
            return msgspec.json.decode(raw, type=type_)
        except msgspec.DecodeError as error:  # ValidationError included
            key, message = _field_of(str(error))
            raise InvalidRequest(key or "body", "body", message) from None

    return Depends(decode)


def _pydantic_body(type_: Any) -> Callable[[Request], Any]:
    from pydantic import ValidationError

    from .pydantic_dto import error_of, json_decoder

    decode_json = json_decoder(type_)

    async def decode(request: Request) -> Any:
        raw = await bounded_body(request)
        try:
            return decode_json(raw)
        except ValidationError as error:
            key, message = error_of(type_, error)
            raise InvalidRequest(key or "body", "body", message) from None

    return decode


def _encode_hook(value: Any) -> Any:
    """A pydantic model (``dto = "pydantic"``) in what msgspec encodes: its own JSON, spliced."""
    serializer = getattr(type(value), "__pydantic_serializer__", None)
    if serializer is None:
        raise NotImplementedError(f"cannot encode {type(value).__name__}")
    return msgspec.Raw(serializer.to_json(value))


_ENCODER = msgspec.json.Encoder(enc_hook=_encode_hook)


def _pydantic_items(items: list[Any]) -> bool:
    return bool(items) and is_pydantic(type(items[0]))


def encoded(value: object, status_code: int = 200) -> Response:
    """``value`` (a DTO, a page) as JSON, encoded by msgspec; a page of pydantic Read models
    (``dto = "pydantic"``) has its items encoded by pydantic in one call (pydantic_dto)."""
    if isinstance(value, OffsetPage | KeysetPage) and _pydantic_items(value.items):
        from .pydantic_dto import with_json_items

        value = with_json_items(value)
    return Response(_ENCODER.encode(value), status_code, media_type="application/json")


def parse_where(where: str | None, filter_type: type[F]) -> F | None:
    """The `where` query parameter as a typed filter, with the limits of
    :func:`~sublimate_runtime.decode_filter`; 400 naming the filter's field if invalid."""
    if where is None:
        return None
    if is_pydantic(filter_type):
        found: F = _pydantic_where(where, filter_type)
        return found
    try:
        return decode_filter(where, filter_type)  # type: ignore[type-var]
    except msgspec.DecodeError as error:
        key, message = _field_of(str(error))
        raise InvalidRequest("where" + (f".{key}" if key else ""), "query", message) from None


def _pydantic_where(where: str, filter_type: Any) -> Any:
    from pydantic import ValidationError

    from .pydantic_dto import error_of, json_decoder

    try:
        return json_decoder(filter_type)(where)
    except ValidationError as error:
        key, message = error_of(filter_type, error)
    except ValueError as error:  # nested past the interpreter's recursion limit
        key, message = "", str(error)
    raise InvalidRequest("where" + (f".{key}" if key else ""), "query", message)


def _components(types: Iterable[Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """msgspec's JSON schema of ``types`` (refs, components), a pydantic model among them
    (``dto = "pydantic"``, a page's items too) referred to by name, its components pydantic's."""
    models: list[type[Any]] = []

    def hook(type_: Any) -> dict[str, Any]:
        if isinstance(type_, type) and is_pydantic(type_):
            models.append(type_)
            return {"$ref": REF.format(name=type_.__name__)}
        raise NotImplementedError

    refs, components = msgspec.json.schema_components(
        tuple(types), schema_hook=hook, ref_template=REF
    )
    if models:
        from .pydantic_dto import json_components

        components.update(json_components(list(dict.fromkeys(models)), REF))
    return list(refs), components


def _schema(types: Iterable[Any]) -> dict[str, Any]:
    refs = [_components((t,))[0][0] for t in types]
    return refs[0] if len(refs) == 1 else {"anyOf": refs}


def filter_query(filter_type: type[Any]) -> Any:
    """The ``Query`` of a `where: str | None` parameter holding a ``filter_type`` as JSON: the
    OpenAPI schema shows a string whose `contentSchema` is the Filter's (recursive) component."""
    name = filter_type.__name__
    return Query(
        description=(
            f"A {name} as JSON: conditions on columns, on related rows (relationship fields) "
            "and nested with and/or/not, bounded in depth and size; 400 when invalid."
        ),
        json_schema_extra={
            "contentMediaType": "application/json",
            "contentSchema": _schema([filter_type]),
        },
    )


def json_responses(status: int, *types: Any, description: str) -> dict[int | str, Any]:
    """A route's `responses=`: its success answer is JSON of one of ``types``."""
    content = {"application/json": {"schema": _schema(types)}}
    return {status: {"description": description, "content": content}}


def request_body(type_: Any) -> dict[str, Any]:
    """A route's `openapi_extra=`: its JSON body is a ``type_`` (decoded by :func:`json_body`)."""
    content = {"application/json": {"schema": _schema([type_])}}
    return {"requestBody": {"required": True, "content": content}}


# --- errors --------------------------------------------------------------------------------


def _model_of(request: Request) -> str:
    route = request.scope.get("route")
    tags = getattr(route, "tags", None) or [request.url.path]
    return str(tags[0])


def _runtime_error(error: Exception) -> JSONResponse | None:
    """The answer to one of the runtime's errors (None for any other exception)."""
    if isinstance(error, NotFoundError):
        return _answer(404, str(error))
    if isinstance(error, ConflictError):
        return _answer(409, str(error), columns=list(error.columns))
    if isinstance(error, ForeignKeyError):
        return _answer(409, str(error))
    if isinstance(error, IntegrityViolationError):
        names = violated(error.original)
        what = [f"constraint {names.constraint}"] if names.constraint else []
        what += [f"column {names.column}"] if names.column else []
        detail = f"{error.model} violates {', '.join(what) or 'a constraint'}"
        columns = {"columns": [names.column]} if names.column else {}
        return _answer(422, detail, constraint=names.constraint, **columns)
    if isinstance(error, DataError):
        where = f" (column {error.column})" if error.column else ""
        detail = f"{error.model}: a value does not fit its column{where}"
        return _answer(400, detail, columns=[error.column] if error.column else [])
    if isinstance(error, UnsupportedWriteError):
        where = f"table {error.table}" if error.table else "its table"
        detail = (
            f"{error.model}: a database rule rewrites writes to {where}; this API cannot write"
            " it (write it with your own SQL)"
        )
        return _answer(501, detail, table=error.table)
    if isinstance(error, InvalidCursorError):
        return _invalid([("cursor", "query", str(error))])
    if isinstance(error, InvalidRequest):
        return _invalid([(error.key, error.source, error.message)])
    return None


def _validation_error(error: RequestValidationError) -> JSONResponse:
    """pydantic's errors on parameters as 400s naming each one (FastAPI answers 422)."""
    found = []
    for item in error.errors():
        where = [str(part) for part in item.get("loc", ())]
        source = where[0] if where else "request"
        found.append((".".join(where[1:]) or source, source, str(item.get("msg", "invalid"))))
    return _invalid(found)


Handler = Callable[[Request, Exception], Any]


def exception_handlers(logger: logging.Logger) -> dict[int | type[Exception], Handler]:
    """The error mapping of a generated app, unexpected errors logged on `logger` (a fresh dict
    each call: add or replace handlers freely, then pass it to ``FastAPI(exception_handlers=)``).
    Its `Exception` entry runs in Starlette's outermost middleware, which re-raises for the server
    (a second log): :func:`install` leaves it out and adds :class:`ServerErrors` instead."""

    def server_error(request: Request, error: Exception) -> JSONResponse:
        logger.error("%s %s failed", request.method, request.url.path, exc_info=error)
        return _answer(500, "Internal Server Error")

    def known(request: Request, error: Exception) -> JSONResponse:
        if isinstance(error, RequestValidationError):
            return _validation_error(error)
        if isinstance(error, HTTPException):  # no such route, method not allowed...
            body = {"status_code": error.status_code, "detail": error.detail}
            return JSONResponse(body, status_code=error.status_code, headers=error.headers)
        answer = _runtime_error(error)
        if answer is not None:
            return answer
        if isinstance(error, StatementError | OverflowError):  # a read the database refused
            refused = refused_value(error, _model_of(request))
            if refused is not None:
                answer = _runtime_error(refused)
                assert answer is not None
                return answer
        return server_error(request, error)

    handled: tuple[type[Exception], ...] = (
        RequestValidationError,
        HTTPException,
        NotFoundError,
        ConflictError,
        ForeignKeyError,
        IntegrityViolationError,
        DataError,
        UnsupportedWriteError,
        InvalidCursorError,
        InvalidRequest,
        StatementError,
        OverflowError,
    )
    handlers: dict[int | type[Exception], Handler] = dict.fromkeys(handled, known)
    handlers[Exception] = server_error
    return handlers


# --- the app -------------------------------------------------------------------------------


def _openapi(app: FastAPI, schemas: tuple[Any, ...]) -> Callable[[], dict[str, Any]]:
    """FastAPI's schema with msgspec's components of ``schemas``; its 422 "Validation Error"
    answers (which these apps give as 400s) documented as such."""

    made_by_fastapi = app.openapi  # keeps every setting of the app (servers, tags, ...)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = made_by_fastapi()
        for path in document.get("paths", {}).values():
            for operation in path.values():
                _document_400(operation.get("responses", {}))
        components = document.setdefault("components", {}).setdefault("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        components.update(_components(schemas)[1])
        app.openapi_schema = document
        return document

    return openapi


def _document_400(responses: dict[str, Any]) -> None:
    found = responses.get("422")
    if isinstance(found, Mapping) and found.get("description") == "Validation Error":
        del responses["422"]
        responses["400"] = {
            "description": "Invalid parameters or body: `extra` names each field",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }


class ServerErrors:
    """ASGI middleware answering an unexpected exception with a plain 500, logged once.

    Starlette's own 500 handler (``exception_handlers={Exception: ...}``) runs in its outermost
    middleware, which re-raises the exception after the answer, for the server: uvicorn then
    logs it a second time ("Exception in ASGI application"), without the request. Here the
    exception ends: logged on ``logger`` with the method and path, answered 500. In debug mode,
    and once an answer has started, it goes on to Starlette (its traceback page, the server).
    """

    def __init__(self, app: ASGIApp, logger: logging.Logger) -> None:
        self.app = app
        self.logger = logger

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or getattr(scope.get("app"), "debug", False):
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as error:
            if started:
                raise
            request = Request(scope)
            self.logger.error("%s %s failed", request.method, request.url.path, exc_info=error)
            await _answer(500, "Internal Server Error")(scope, receive, send)


def install(
    app: FastAPI,
    engine: Engine | AsyncEngine,
    *,
    logger: logging.Logger,
    schemas: Iterable[Any] = (),
    cache: Cache | None = None,
    max_body_size: int | None = MAX_BODY_SIZE,
) -> FastAPI:
    """Give ``app`` its sessions (one per request from ``engine``, read through ``cache`` when
    given), the error mapping (unexpected errors logged on ``logger``) and an OpenAPI schema
    holding msgspec's components of ``schemas``: every type given to :func:`json_responses`,
    :func:`request_body` and :func:`filter_query` (the generated routers list theirs in
    `SCHEMAS`), whose references would otherwise not resolve. Bodies read by :func:`json_body`
    are bounded by ``max_body_size`` bytes (None: unbounded), a 413 past it; unexpected errors
    are answered and logged once by :class:`ServerErrors`."""
    factory: Any
    if isinstance(engine, AsyncEngine):
        factory = async_session_factory(engine)
    else:
        factory = session_factory(engine)
    if cache is not None:
        cache.attach(factory)
    setattr(app.state, STATE, factory)
    setattr(app.state, BODY_LIMIT, max_body_size)
    for kind, handler in exception_handlers(logger).items():
        if kind is not Exception:  # ServerErrors answers those (once logged)
            app.add_exception_handler(kind, handler)
    app.add_middleware(ServerErrors, logger=logger)
    app.openapi = _openapi(app, tuple(dict.fromkeys(schemas)))  # type: ignore[method-assign]
    return app
