"""Reflected tables as plain JSON data, and back: what the reflection cache stores.

The cache used to pickle `RawTable`s, and unpickling runs whatever the file says. A reflected
table is the Inspector's dicts, lists and strings plus SQLAlchemy type objects (and sublimate's
own small dataclasses), so it has a plain form:

- None, booleans, numbers, strings, lists and dicts are themselves (a dict with a key that
  starts with `~` is wrapped: `{"~dict": {...}}`); a tuple is `{"~tuple": [...]}` (so it comes
  back a tuple);
- a type is `{"~type": "<its DDL>"}` (in a dict, a first key `"~type:<key>": "<its DDL>"`),
  read back by the dialect's own parser of declared types (SQLite's `_resolve_type_affinity`,
  which reflection itself uses); a type is only stored when that round trip gives the same class
  with the same arguments, else the table is not cached;
- a dataclass of `sublimate.introspect` is `{"~dataclass": "module:Name", "fields": {...}}`;
- anything else (a SQL expression object, say) makes the table not cacheable.

Decoding accepts exactly these shapes and raises `Malformed` on anything else: the cache turns
that into a miss. It never imports, looks up or calls anything but sublimate's own dataclasses
and the dialect's type parser.
"""

from __future__ import annotations

import dataclasses
import sys
import warnings
from typing import Any, cast

from sqlalchemy.engine import Dialect
from sqlalchemy.types import NullType, TypeEngine

_OWN_MODULES = "sublimate.introspect."


class Unstorable(Exception):
    """The table holds something without a faithful plain form: it is not cached."""


class Malformed(Exception):
    """A cache entry is not what this module writes: a miss."""


class PlainTypes:
    """Types to DDL text and back for one dialect, memoised (a schema repeats a few types)."""

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        self._resolve = getattr(dialect, "_resolve_type_affinity", None)
        self._texts: dict[tuple[type, str], str] = {}
        self._types: dict[str, TypeEngine[Any]] = {}

    def text(self, type_: TypeEngine[Any]) -> str:
        key = (type(type_), repr(type_))
        found = self._texts.get(key)
        if found is None:
            if isinstance(type_, NullType):
                found = ""
            else:
                try:
                    found = str(self._dialect.type_compiler_instance.process(type_))
                except Exception as error:
                    raise Unstorable(f"type {type_!r} has no DDL") from error
            back = self.type(found)
            if (type(back), repr(back)) != key:
                raise Unstorable(f"type {type_!r} does not come back from {found!r}")
            self._texts[key] = found
        return found

    def type(self, text: str) -> TypeEngine[Any]:
        found = self._types.get(text)
        if found is None:
            if self._resolve is None:
                raise Unstorable(f"{self._dialect.name} cannot read a declared type back")
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                try:
                    found = cast(TypeEngine[Any], self._resolve(text))
                except Exception as error:
                    raise Unstorable(f"type {text!r} cannot be read back") from error
            self._types[text] = found
        return found


_SCALARS = frozenset({str, int, float, bool, type(None)})


def encode(value: object, types: PlainTypes) -> object:
    """`value` as JSON-able plain data; Unstorable when part of it has no plain form."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is list:
        return [encode(item, types) for item in cast(list[object], value)]
    if kind is tuple:
        return {"~tuple": [encode(item, types) for item in cast(tuple[object, ...], value)]}
    if kind is dict:
        items = cast(dict[object, object], value)
        if not all(type(key) is str for key in items):
            raise Unstorable("a dict with keys that are not strings")
        if any(cast(str, key).startswith("~") for key in items):  # none of SQLAlchemy's does
            return {"~dict": {cast(str, k): encode(v, types) for k, v in items.items()}}
        # A column's type is hoisted to a first key `~type:type`: decoding it costs no call.
        plain: dict[str, object] = {
            f"~type:{key}": types.text(item)
            for key, item in items.items()
            if isinstance(item, TypeEngine)
        }
        for key, item in items.items():
            if not isinstance(item, TypeEngine):
                plain[cast(str, key)] = encode(item, types)
        return plain
    if isinstance(value, TypeEngine):
        return {"~type": types.text(value)}
    if dataclasses.is_dataclass(value) and kind.__module__.startswith(_OWN_MODULES):
        fields = {f.name: encode(getattr(value, f.name), types) for f in dataclasses.fields(value)}
        return {"~dataclass": f"{kind.__module__}:{kind.__qualname__}", "fields": fields}
    raise Unstorable(f"a {kind.__name__} has no plain form")


def decode(data: object, types: PlainTypes) -> object:
    """The value `encode` was given; Malformed when `data` is not what `encode` returns.

    Scalars are checked inline (they are most of the nodes): an unchanged 300-table schema
    decodes in a few hundredths of a second."""
    kind = type(data)
    if kind in _SCALARS:
        return data
    if kind is list:
        return [
            item if type(item) in _SCALARS else decode(item, types)
            for item in cast(list[object], data)
        ]
    if kind is not dict:
        raise Malformed(f"unexpected {kind.__name__}")
    items = cast(dict[str, object], data)
    first = next(iter(items), "")
    if not first.startswith("~"):
        return {key: _value(item, types) for key, item in items.items()}
    if not first.startswith("~type:"):
        return _tagged(items, types)
    result: dict[str, object] = {}
    for key, item in items.items():
        if key.startswith("~type:"):
            if type(item) is not str:
                raise Malformed("a type that is not text")
            try:
                result[key[6:]] = types.type(item)
            except Unstorable as error:
                raise Malformed(str(error)) from None
        else:
            result[key] = _value(item, types)
    return result


def _value(item: object, types: PlainTypes) -> object:
    """decode(item), with its commonest cases (a scalar, a list of names) without recursion."""
    kind = type(item)
    if kind in _SCALARS:
        return item
    if kind is list:
        return [x if type(x) in _SCALARS else decode(x, types) for x in cast(list[object], item)]
    return decode(item, types)


def _tagged(data: dict[str, object], types: PlainTypes) -> object:
    inner = data.get("~tuple", data.get("~dict"))
    if len(data) == 1 and "~tuple" in data and type(inner) is list:
        return tuple(cast(list[object], decode(inner, types)))
    if len(data) == 1 and "~dict" in data and type(inner) is dict:
        return {k: decode(v, types) for k, v in cast(dict[str, object], inner).items()}
    text = data.get("~type")
    if len(data) == 1 and type(text) is str:
        try:
            return types.type(text)
        except Unstorable as error:
            raise Malformed(str(error)) from None
    fields = data.get("fields")
    if data.keys() == {"~dataclass", "fields"} and type(fields) is dict:
        kind = _own_dataclass(data["~dataclass"])
        decoded = {str(k): decode(v, types) for k, v in cast(dict[str, object], fields).items()}
        try:
            return kind(**decoded)
        except TypeError as error:
            raise Malformed(str(error)) from None
    raise Malformed("unexpected object")


def _own_dataclass(name: object) -> type:
    """A dataclass of an already imported sublimate.introspect module; nothing is imported."""
    if not isinstance(name, str):
        raise Malformed("dataclass name")
    module_name, _, qualname = name.partition(":")
    module = sys.modules.get(module_name) if module_name.startswith(_OWN_MODULES) else None
    kind = getattr(module, qualname, None) if qualname.isidentifier() else None
    if not (isinstance(kind, type) and dataclasses.is_dataclass(kind)):
        raise Malformed(f"not a dataclass of sublimate: {name!r}")
    if kind.__module__ != module_name:
        raise Malformed(f"not a dataclass of sublimate: {name!r}")
    return kind
