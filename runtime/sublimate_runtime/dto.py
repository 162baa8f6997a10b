"""Helpers for msgspec DTOs whose optional fields default to ``UNSET``.

An update DTO must tell "leave this column alone" (UNSET) from "set it to NULL" (None); msgspec's
``UNSET`` marker does exactly that and is omitted when encoding, so it is the runtime's marker too.
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

__all__ = ["UNSET", "UnsetType", "set_fields"]


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
