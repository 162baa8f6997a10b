"""`sublimate_runtime.Domain`: PostgreSQL's DOMAIN, which SQL operators accept without
SQLAlchemy 2.1's deprecation warning (postgresql.DOMAIN declares no operator classes)."""

from __future__ import annotations

import warnings

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateTable
from sublimate_runtime import Domain


def _table(kind: type[postgresql.DOMAIN]) -> sa.Table:
    amount = kind("positive", sa.INTEGER(), not_null=True, check=sa.text("VALUE > 0"))
    return sa.Table("t", sa.MetaData(), sa.Column("amount", amount))


def test_operators_do_not_warn_and_the_ddl_names_the_domain() -> None:
    column = _table(Domain).c.amount
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        query = sa.select(column).where(column == 1, column.in_([2, 3]), column > 0)
        sql = str(query.order_by(column.desc()).compile(dialect=postgresql.dialect()))
    assert "t.amount = " in sql and "ORDER BY t.amount DESC" in sql
    ddl = str(CreateTable(_table(Domain)).compile(dialect=postgresql.dialect()))
    assert "amount positive" in ddl
    create = postgresql.CreateDomainType(_table(Domain).c.amount.type)
    assert "CHECK (VALUE > 0)" in str(create.compile(dialect=postgresql.dialect()))


def test_sqlalchemy_domain_warns_which_is_why_domain_exists() -> None:
    column = _table(postgresql.DOMAIN).c.amount
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _ = column == 1
    assert any("OperatorClass" in str(w.message) for w in caught)
