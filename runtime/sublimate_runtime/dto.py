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
from typing import Any, TypeVar

import msgspec
from msgspec import UNSET, UnsetType

__all__ = ["UNSET", "UnsetType", "set_fields", "validated"]

S = TypeVar("S", bound=msgspec.Struct)

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
        constrained = _has_constraints(msgspec.inspect.type_info(kind), set())
        with _CONSTRAINED_LOCK:
            _CONSTRAINED[kind] = constrained
    if not constrained:
        return data
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


def set_fields(struct: msgspec.Struct) -> dict[str, Any]:
    """The fields of ``struct`` that were given a value (``None`` included), in declaration order.

    Keys are the Python attribute names, not renamed wire names, so the result can be passed to
    ``update(Model).values(...)`` when the DTO mirrors the model's attributes.
    """
    return {
        name: value
        for name, value in zip(
            struct.__struct_fields__, msgspec.structs.astuple(struct), strict=True
        )
        if value is not UNSET
    }
