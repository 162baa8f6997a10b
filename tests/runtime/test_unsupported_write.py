"""`unsupported_write`: which driver errors become `UnsupportedWriteError`, and the table it names.

The database side (a real PostgreSQL rule, psycopg and asyncpg) is proven in
tests/introspect_db/test_roundtrip_options.py; here, the parsing of what SQLAlchemy reports.
"""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError, NotSupportedError
from sublimate_runtime import RepositoryError, UnsupportedWriteError
from sublimate_runtime.unsupported import unsupported_write


class _Driver(Exception):
    def __init__(self, message: str, sqlstate: str | None = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("statement", "table"),
    [
        ("INSERT INTO payment (amount) VALUES (%(amount)s) RETURNING payment.id", "payment"),
        ("UPDATE sales.orders SET n=%(n)s WHERE sales.orders.id = %(id)s", "sales.orders"),
        ('DELETE FROM "odd ""name""" WHERE "odd ""name""".id = 1 RETURNING 1', 'odd "name"'),
        ('INSERT INTO "my schema"."a.b" (x) VALUES (1)', "my schema.a.b"),
    ],
)
def test_the_table_comes_from_the_statement(statement: str, table: str) -> None:
    error = NotSupportedError(statement, {}, _Driver("INSERT with ON CONFLICT clause ..."))
    refused = unsupported_write(error, "Payment")
    assert isinstance(refused, UnsupportedWriteError) and isinstance(refused, RepositoryError)
    assert refused.table == table and refused.model == "Payment"
    assert refused.original is error.orig


def test_else_from_the_message_and_the_rule_is_named() -> None:
    orig = _Driver('cannot perform INSERT RETURNING on relation "payment"\nHINT: ...', "0A000")
    refused = unsupported_write(DBAPIError("", {}, orig), "Payment")  # asyncpg: a plain DBAPIError
    assert refused is not None and refused.table == "payment"
    assert str(refused) == (
        'Payment cannot be written this way: a rule on table "payment" rewrites this statement'
        " (RETURNING or ON CONFLICT refused): cannot perform INSERT RETURNING on relation"
        ' "payment"'
    )


def test_other_errors_are_not_translated() -> None:
    assert unsupported_write(DBAPIError("UPDATE t SET a=1", {}, _Driver("x", "22001")), "T") is None
    assert unsupported_write(OverflowError("too big"), "T") is None
