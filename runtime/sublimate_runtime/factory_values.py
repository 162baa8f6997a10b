"""The values a generated factory gives a column, derived from a sequence number `n` (1, 2, ...).

Every function is deterministic and injective over the range its column can hold, so the
columns of one factory's rows are distinct from each other as far as the type allows: a unique key
(single or composite) never collides as long as one of its columns is derived. Where a type holds
fewer values than asked for (a `VARCHAR(2)` holds 1,296 base-36 codes, a `TINYINT` 127 positive
values, 256 in all for a key) the sequence wraps around, which only a unique key on such a column
notices.

Numbers are positive (but for a key's integers past its type's positive range) and floats lie in
(0, 1): beyond `IN (...)` lists (which the generator turns
into `Literal` types and `choice`), the factories do not read CHECK constraints, and positive,
small values satisfy the usual ones (`price >= 0`, `quantity > 0`, `discount <= 1`).
"""

from __future__ import annotations

import datetime as _dt
import uuid as _uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TypeVar

T = TypeVar("T")

_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
_EPOCH = _dt.datetime(2000, 1, 1)  # inside every database's range (MariaDB TIMESTAMP: 1970-2038)
_DAY = _dt.date(2000, 1, 1)
_INT32 = 2**31 - 1


def base36(n: int) -> str:
    """`n` (>= 0) in base 36, lowercase: short, and the same under case-insensitive collations."""
    digits = []
    while True:
        n, digit = divmod(n, 36)
        digits.append(_DIGITS[digit])
        if not n:
            return "".join(reversed(digits))


def text(n: int, length: int | None, stem: str) -> str:
    """`<stem>-<code>` where it fits in `length` characters, else the code's last characters."""
    code = base36(n)
    labelled = f"{stem}-{code}"
    if length is None or len(labelled) <= length:
        return labelled
    return code[-length:] if length > 0 else ""


def integer(n: int, largest: int | None, smallest: int = 1) -> int:
    """`n` itself while it fits, from 1 up to `largest` (INTEGER's largest by default); then,
    for a key column whose type holds them (`smallest`, its least value), 0, -1, ... down to
    `smallest` before wrapping: a TINYINT key takes 256 distinct rows, not 127."""
    top = largest if largest is not None and largest >= 1 else _INT32
    position = (n - 1) % (top - min(smallest, 1) + 1)
    return 1 + position if position < top else top - position


def decimal(n: int, precision: int | None, scale: int | None) -> Decimal:
    """A positive number with at most `precision` digits, `scale` of them after the point."""
    if precision is None:
        return Decimal(n)
    digits = 1 + (n - 1) % (10**precision - 1)
    return Decimal(digits).scaleb(-(scale or 0))


def real(n: int) -> float:
    """A float in (0, 1), exact in binary to 2**-20."""
    return (1 + (n - 1) % (2**20 - 1)) / 2**20


def flag(n: int) -> bool:
    return n % 2 == 1


def day(n: int) -> _dt.date:
    """A date from 2000-01-01 on, one per `n` (wrapping after 100 years)."""
    return _DAY + _dt.timedelta(days=(n - 1) % 36500)


def moment(n: int, aware: bool) -> _dt.datetime:
    """A whole second from 2000-01-01 00:00 on, UTC when `aware` (a timezone column)."""
    value = _EPOCH + _dt.timedelta(seconds=n % 10**9)
    return value.replace(tzinfo=_dt.UTC) if aware else value


def clock(n: int, aware: bool = False) -> _dt.time:
    seconds = n % 86400
    value = _dt.time(seconds // 3600, seconds // 60 % 60, seconds % 60)
    return value.replace(tzinfo=_dt.UTC) if aware else value


def span(n: int) -> _dt.timedelta:
    return _dt.timedelta(seconds=n)


def uuid(n: int) -> _uuid.UUID:
    """A UUID whose last bits are `n`: distinct per `n`, readable in a failing assertion."""
    return _uuid.UUID(int=n % 2**128)


def uuid_text(n: int) -> str:
    return str(uuid(n))


def binary(n: int, length: int | None) -> bytes:
    return text(n, length, "b").encode("ascii")


def choice(n: int, options: Sequence[T]) -> T:
    """The options in turn (an enum's members, a CHECK IN list's values)."""
    return options[(n - 1) % len(options)]


def document(n: int) -> dict[str, Any]:
    """A JSON object."""
    return {"n": n}
