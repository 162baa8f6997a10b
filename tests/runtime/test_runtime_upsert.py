"""upsert_statement as an ORM bulk statement: insert path, update path, statement economy."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import Engine, String, event, func, select
from sqlalchemy.engine.default import DefaultDialect
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sublimate_runtime import dialect_of, session_factory, upsert_returns, upsert_statement


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "item"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column("the code", String(20), unique=True)
    name: Mapped[str] = mapped_column(String(40))
    qty: Mapped[int] = mapped_column(server_default="0")


def _count_statements(engine: Engine) -> list[str]:
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


def _upsert(session: Session, rows: Sequence[dict[str, Any]], update: list[str]) -> list[Item]:
    """What a generated ``upsert_many`` does: one bulk statement, objects back when possible."""
    dialect = dialect_of(session)
    statement = upsert_statement(dialect, Item, ["the code"], update)
    if upsert_returns(dialect):
        returning = statement.returning(Item)
        options = {"populate_existing": True}
        return list(session.scalars(returning, rows, execution_options=options))
    session.execute(statement, rows)
    codes = [row["code"] for row in rows]
    return list(session.scalars(select(Item).where(Item.code.in_(codes)).order_by(Item.id)))


def test_insert_then_update(engine: Engine) -> None:
    Base.metadata.create_all(engine)
    factory = session_factory(engine)
    with factory.begin() as session:
        created = _upsert(
            session, [{"code": "a", "name": "A"}, {"code": "b", "name": "B"}], ["name"]
        )
        assert [(item.code, item.name, item.qty) for item in created] == [
            ("a", "A", 0),
            ("b", "B", 0),
        ]
        ids = {item.code: item.id for item in created}
    with factory.begin() as session:
        rows = [{"code": "b", "name": "B2"}, {"code": "c", "name": "C"}]
        changed = _upsert(session, rows, ["name"])
        assert {(item.code, item.name) for item in changed} == {("b", "B2"), ("c", "C")}
        assert next(item.id for item in changed if item.code == "b") == ids["b"]
    with factory() as session:
        stored = session.execute(select(Item.code, Item.name).order_by(Item.code)).all()
        assert [tuple(row) for row in stored] == [("a", "A"), ("b", "B2"), ("c", "C")]


def test_nothing_to_update_still_returns_the_row(engine: Engine) -> None:
    Base.metadata.create_all(engine)
    factory = session_factory(engine)
    with factory.begin() as session:
        session.add(Item(code="a", name="A"))
    with factory.begin() as session:
        (item,) = _upsert(session, [{"code": "a", "name": "ignored"}], [])
        assert (item.code, item.name) == ("a", "A")
        assert session.scalar(select(func.count()).select_from(Item)) == 1


def test_one_statement_for_a_thousand_rows(engine: Engine) -> None:
    Base.metadata.create_all(engine)
    factory = session_factory(engine)
    with factory() as probe:
        if not upsert_returns(dialect_of(probe)):
            pytest.skip("no RETURNING on this server")
    seen = _count_statements(engine)
    with factory.begin() as session:
        rows = [{"code": f"c{i:04}", "name": "first"} for i in range(1000)]
        seen.clear()
        inserted = _upsert(session, rows, ["name"])
        assert len(seen) == 1
        assert [item.code for item in inserted] == [row["code"] for row in rows]
        rows = [{"code": f"c{i:04}", "name": "second"} for i in reversed(range(500, 1500))]
        seen.clear()
        upserted = _upsert(session, rows, ["name"])
        assert len(seen) == 1
        # Measured: every backend returns VALUES order (SQL does not promise it).
        assert [item.code for item in upserted] == [row["code"] for row in rows]
        assert {item.name for item in upserted} == {"second"}
        seen.clear()
        (single,) = _upsert(session, [{"code": "c0001", "name": "third"}], ["name"])
        assert len(seen) == 1 and single.name == "third" and single is inserted[1]
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Item)) == 1500
        assert session.scalar(select(func.count()).where(Item.name == "second")) == 1000


def test_unsupported_input() -> None:
    with pytest.raises(NotImplementedError, match="'default' dialect"):
        upsert_statement(DefaultDialect(), Item, ["the code"], ["name"])
    with pytest.raises(ValueError, match="code"):
        upsert_statement(DefaultDialect(), Item, ["code"], ["name"])  # attribute, not column name
