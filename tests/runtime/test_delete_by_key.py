"""``delete(<pk>)``'s statement built once per model with the key as parameters: a composite key,
the identity map, and rows of another key left alone, on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sublimate_runtime import NotFoundError, Repository, RepositorySpec, UniqueKeySpec


class Base(DeclarativeBase):
    pass


class Line(Base):
    __tablename__ = "delete_lines"

    order_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    line_no: Mapped[int] = mapped_column("line number", primary_key=True, autoincrement=False)
    text: Mapped[str] = mapped_column(sa.String(20))


KEY = UniqueKeySpec(
    constraint_name=None,
    columns=("order_id", "line_no"),
    sql_columns=("order_id", "line number"),
    primary=True,
)


class Lines(Repository[Line, Any, Any]):
    spec = RepositorySpec(Line, keys={"id": KEY}, cursor=tuple[int, int])

    def delete(self, order_id: int, line_no: int) -> Line:
        return self._delete_key((order_id, line_no))


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    Base.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        session.add_all(
            [Line(order_id=o, line_no=n, text=f"{o}.{n}") for o in (1, 2) for n in (1, 2)]
        )
        session.commit()
        yield session


def test_delete_by_a_composite_key_returns_the_row_out_of_the_session(session: Session) -> None:
    repo = Lines(session)
    loaded = session.get(Line, (1, 2))
    deleted = repo.delete(1, 2)
    assert deleted is loaded  # the identity map's object, now out of the session
    assert (deleted.order_id, deleted.line_no, deleted.text) == (1, 2, "1.2")
    assert deleted not in session
    with pytest.raises(NotFoundError):
        repo.delete(1, 2)
    assert repo.delete(2, 1).text == "2.1"  # the same statement, other parameters
    session.commit()
    left = session.execute(
        sa.select(Line.order_id, Line.line_no).order_by(Line.order_id, Line.line_no)
    )
    assert [tuple(row) for row in left] == [(1, 1), (2, 2)]
    assert session.get(Line, (1, 2)) is None
