"""Helpers for msgspec DTOs whose optional fields default to ``UNSET``.

An update DTO must tell "leave this column alone" (UNSET) from "set it to NULL" (None); msgspec's
``UNSET`` marker does exactly that and is omitted when encoding, so it is the runtime's marker too.

msgspec checks ``Meta`` constraints (``max_length``, ``ge``, ``pattern`` ...) when it decodes or
converts, not when a DTO is built in Python (``ProductCreate(sku="x" * 300)`` is accepted), so
generated services pass what they are given through :func:`validated` before writing it.
"""

from __future__ import annotations

import datetime
import decimal
import threading
import uuid
from typing import Annotated, Any, TypeAlias, TypeVar

import msgspec
from msgspec import UNSET, Meta, UnsetType

__all__ = [
    "UNSET",
    "AwareDateTime",
    "Int16",
    "Int32",
    "Int64",
    "NaiveDateTime",
    "ShapeT",
    "Text",
    "UnsetType",
    "dto_fields",
    "is_pydantic",
    "set_fields",
    "validated",
]

# The bounded types generated DTOs repeat in every Create/Update/Filter field, by name: spelled
# out they made most DTO lines too long to print on one line (the formatter's costliest work on
# a big schema) and gave mypy the same `Annotated` to analyse thousands of times. msgspec (and
# its JSON schema) sees through an alias: the constraints and the schema are the same.
Int16: TypeAlias = Annotated[int, Meta(ge=-32768, le=32767)]
Int32: TypeAlias = Annotated[int, Meta(ge=-2147483648, le=2147483647)]
Int64: TypeAlias = Annotated[int, Meta(ge=-9223372036854775808, le=9223372036854775807)]
Text: TypeAlias = Annotated[str, Meta(pattern="^[^\\x00]*$")]
"""Text without NUL (PostgreSQL cannot store it): `Annotated[Text, Meta(max_length=n)]`."""
NaiveDateTime: TypeAlias = Annotated[datetime.datetime, Meta(tz=False)]
AwareDateTime: TypeAlias = Annotated[datetime.datetime, Meta(tz=True)]

S = TypeVar("S")  # a msgspec Struct, or a pydantic model (dto = "pydantic")
ShapeT = TypeVar("ShapeT")  # a nested Read DTO (:mod:`.nested`), what a `*_with` read returns

# Kept as objects by to_builtins and accepted as they are by convert: no text round trip.
_AS_THEY_ARE = (
    bytes,
    bytearray,
    datetime.datetime,
    datetime.date,
    datetime.time,
    datetime.timedelta,
    decimal.Decimal,
    uuid.UUID,
)
_CONSTRAINTS = ("min_length", "max_length", "pattern", "gt", "ge", "lt", "le", "multiple_of", "tz")
_CONSTRAINED: dict[type[Any], bool] = {}
_CONSTRAINED_LOCK = threading.Lock()


def validated(data: S) -> S:
    """``data`` checked against its type's ``Meta`` constraints, as decoding it would check them.

    Raises ``msgspec.ValidationError`` naming the field (``Expected `str` of length <= 40 - at
    `$.sku```), before any SQL is sent. A type without constraints is returned as it is (one dict
    lookup); otherwise the DTO is converted to builtins and back (see the README for the cost).
    """
    kind = type(data)
    constrained = _CONSTRAINED.get(kind)
    if constrained is None:
        # A pydantic model is validated again (see pydantic_dto.validated): True.
        constrained = is_pydantic(kind) or _has_constraints(msgspec.inspect.type_info(kind), set())
        with _CONSTRAINED_LOCK:
            _CONSTRAINED[kind] = constrained
    if not constrained:
        return data
    if not isinstance(data, msgspec.Struct):  # a pydantic model (dto = "pydantic")
        return _pydantic().validated(data)  # type: ignore[no-any-return]
    return msgspec.convert(msgspec.to_builtins(data, builtin_types=_AS_THEY_ARE), kind)


def _has_constraints(info: Any, seen: set[int]) -> bool:
    """Whether a msgspec type tree holds a constraint anywhere (unions, containers, structs)."""
    if id(info) in seen:
        return False
    seen.add(id(info))
    if any(getattr(info, name, None) is not None for name in _CONSTRAINTS):
        return True
    children: list[Any] = [*getattr(info, "types", ()), *getattr(info, "item_types", ())]
    children += [getattr(info, name, None) for name in ("item_type", "key_type", "value_type")]
    children += [field.type for field in getattr(info, "fields", ())]
    return any(child is not None and _has_constraints(child, seen) for child in children)


def set_fields(struct: Any) -> dict[str, Any]:
    """The fields of ``struct`` that were given a value (``None`` included), in declaration order.

    Keys are the Python attribute names, not renamed wire names, so the result can be passed to
    ``update(Model).values(...)`` when the DTO mirrors the model's attributes.
    """
    if not isinstance(struct, msgspec.Struct):  # a pydantic model (dto = "pydantic")
        return _pydantic().set_fields(struct)  # type: ignore[no-any-return]
    return {
        name: value
        for name, value in zip(
            struct.__struct_fields__, msgspec.structs.astuple(struct), strict=True
        )
        if value is not UNSET
    }


def is_pydantic(kind: type[Any]) -> bool:
    """Whether a DTO class is a pydantic model (``dto = "pydantic"``), told without importing
    pydantic: the runtime's few meeting points with DTOs ask once per class."""
    return hasattr(kind, "__pydantic_validator__")


def dto_fields(kind: type[Any]) -> tuple[str, ...]:
    """The field names of a DTO class, msgspec Struct or pydantic model, in declaration order:
    the model attributes they stand for (a pydantic field renamed from a name pydantic reserves,
    ``json_``, by its alias ``json``: pydantic_dto.model_names)."""
    fields: tuple[str, ...] | None = getattr(kind, "__struct_fields__", None)
    if fields is None:
        names = _pydantic().model_names(kind) if is_pydantic(kind) else ()
        fields = tuple(attr for _, attr in names)
    return fields


def _pydantic() -> Any:
    """sublimate_runtime.pydantic_dto, imported on first use (it needs the ``pydantic`` extra)."""
    from . import pydantic_dto

    return pydantic_dto
