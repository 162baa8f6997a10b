"""set_fields keeps what the caller set, None included, in declaration order."""

from __future__ import annotations

import msgspec
from sublimate_runtime import UNSET, UnsetType, set_fields


class CustomerUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: str | UnsetType = UNSET
    email: str | UnsetType | None = msgspec.field(default=UNSET, name="e-mail")
    age: int | UnsetType = UNSET
    note: str | UnsetType | None = UNSET


def test_set_fields() -> None:
    assert set_fields(CustomerUpdate()) == {}
    changes = CustomerUpdate(note=None, name="Ann")
    assert list(set_fields(changes).items()) == [("name", "Ann"), ("note", None)]
    decoded = msgspec.json.decode(b'{"e-mail": null, "age": 3}', type=CustomerUpdate)
    assert set_fields(decoded) == {"email": None, "age": 3}
