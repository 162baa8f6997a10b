"""Python types of query parameters and result columns: what a hint may name, and how each is
printed (annotation, imports, the SQLAlchemy type that converts it where the driver does not).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..ir import Import

SA = ("sqlalchemy", "")  # printed as `sa` (the view aliases it)


@dataclass(frozen=True, slots=True)
class PyType:
    annotation: str  # without None: "decimal.Decimal", "Literal['a', 'b']", "list[int]"
    imports: tuple[Import, ...] = ()
    sa_type: str = ""  # "sa.Numeric(10, 2)": converts values the driver leaves raw; "" = none
    sql: str = ""  # the database's name of the type, for `inspect` and the manifest
    element: str = ""  # a list's elements' SQLAlchemy type (an `IN (:ids)` list binds them)


_NAMED: dict[str, PyType] = {
    "int": PyType("int", sa_type="sa.Integer()"),
    "float": PyType("float", sa_type="sa.Float()"),
    "str": PyType("str"),
    "bool": PyType("bool", sa_type="sa.Boolean()"),
    "bytes": PyType("bytes", sa_type="sa.LargeBinary()"),
    "Decimal": PyType("decimal.Decimal", (("decimal", ""),), "sa.Numeric()"),
    "date": PyType("datetime.date", (("datetime", ""),), "sa.Date()"),
    "datetime": PyType("datetime.datetime", (("datetime", ""),), "sa.DateTime()"),
    "time": PyType("datetime.time", (("datetime", ""),), "sa.Time()"),
    "timedelta": PyType("datetime.timedelta", (("datetime", ""),), "sa.Interval()"),
    "UUID": PyType("uuid.UUID", (("uuid", ""),), "sa.Uuid()"),
    "Any": PyType("Any", (("typing", "Any"),)),
}
HINT_NAMES = tuple(_NAMED)
_LIST = re.compile(r"^list\[\s*(\w+)\s*\]$")
_OPTIONAL = re.compile(r"^(.*?)\s*(?:\|\s*None|\?)$")


def named(name: str, sql: str = "") -> PyType:
    """One of HINT_NAMES (KeyError otherwise), with the database's type name attached."""
    found = _NAMED[name]
    return PyType(found.annotation, found.imports, found.sa_type, sql or name)


def parse_hint(text: str) -> tuple[PyType, bool] | None:
    """(type, nullable) for a hint such as `Decimal`, `int | None`, `str?`, `list[int]`; None
    when the text is not in the vocabulary (the caller says which names are)."""
    text = text.strip()
    nullable = False
    optional = _OPTIONAL.match(text)
    if optional is not None:
        text, nullable = optional.group(1).strip(), True
    if text in _NAMED:
        return named(text, "hint"), nullable
    match = _LIST.match(text)
    if match is not None and match.group(1) in _NAMED:
        inner = _NAMED[match.group(1)]
        return PyType(
            f"list[{inner.annotation}]", inner.imports, "", "hint", inner.sa_type
        ), nullable
    return None


def list_of(inner: PyType, sql: str) -> PyType:
    return PyType(f"list[{inner.annotation}]", inner.imports, "", sql)


def literal_of(labels: tuple[str, ...], sql: str) -> PyType:
    """An enum's labels as `Literal[...]` (labels are database text: printed with repr)."""
    inner = ", ".join(repr(label) for label in labels)
    return PyType(f"Literal[{inner}]", (("typing", "Literal"),), "", sql)


def any_type(sql: str, sa_type: str = "") -> PyType:
    """A type Python cannot name more precisely (JSON: `sa_type` "sa.JSON()")."""
    return PyType("Any", (("typing", "Any"),), sa_type, sql)
