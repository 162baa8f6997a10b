"""`refused_value`: what an app's error handler may answer 400, and what stays unexpected.

An app-wide handler sees every exception, not just those of one write: an OverflowError counts as
a refused value only when a statement of the runtime's engines raised it, and a StatementError
only when SQLAlchemy could not convert a value for its column (an overflow), not a wrong type.
"""

from __future__ import annotations

import datetime
import math
from pathlib import Path

import pytest
import sqlalchemy as sa
from sublimate_runtime import DataError, create_engine, refused_value


def caught(engine: sa.Engine, statement: sa.Executable) -> BaseException:
    with engine.connect() as connection, pytest.raises(Exception) as info:
        connection.execute(statement)
    return info.value


def test_a_statement_overflow_is_refused_arithmetic_is_not(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    table = sa.Table(
        "t",
        sa.MetaData(),
        sa.Column("n", sa.Integer),
        sa.Column("s", sa.Interval),
        sa.Column("d", sa.Date),
    )
    table.metadata.create_all(engine)
    too_big = caught(engine, sa.select(table).where(table.c.n == 2**64))
    assert isinstance(too_big, OverflowError)
    refused = refused_value(too_big, "T")
    assert isinstance(refused, DataError) and refused.column == "n"
    # An Interval beyond the datetime range: SQLAlchemy's bind processor overflows.
    far = caught(engine, sa.select(table).where(table.c.s > datetime.timedelta(days=10**8)))
    assert isinstance(far, sa.exc.StatementError) and isinstance(far.orig, OverflowError)
    assert isinstance(refused_value(far, "T"), DataError)
    # Not from a statement, or not an overflow: an unexpected error (500), never a 400.
    with pytest.raises(OverflowError) as arithmetic:
        math.exp(1000)
    assert refused_value(arithmetic.value, "T") is None
    wrong_type = caught(engine, sa.insert(table).values(d="soon"))  # SQLite's Date wants a date
    assert isinstance(wrong_type, sa.exc.StatementError)
    assert refused_value(wrong_type, "T") is None
    missing = caught(engine, sa.text("SELECT * FROM nowhere"))
    assert refused_value(missing, "T") is None
    engine.dispose()
