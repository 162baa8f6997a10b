"""Keyset pages of a cached model: a page read again is a hit (no SQL), pages in another order
or direction are entries of their own, and a write invalidates them."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from .app import Account, AccountRepository, statements


def walk(factory: sessionmaker[Session], order: str) -> list[tuple[list[int], str | None]]:
    """Every page forward, then the one before the last: (ids, prev_cursor) each."""
    with factory() as session:
        repo = AccountRepository(session)
        pages = [repo.list_after(None, 2, order_by=order)]
        while pages[-1].next_cursor is not None:
            pages.append(repo.list_after(pages[-1].next_cursor, 2, order_by=order))
        back = repo.list_after(pages[-1].prev_cursor, 2, order_by=order)
        return [([a.id for a in page.items], page.prev_cursor) for page in [*pages, back]]


def test_keyset_pages_are_cached_per_order_and_invalidated(
    factory: sessionmaker[Session], engine: Engine
) -> None:
    sql = statements(engine)
    descending = walk(factory, "-id")
    assert [ids for ids, _ in descending] == [[5, 4], [3, 2], [1], [3, 2]]
    assert len(sql) == 4
    sql.clear()
    assert walk(factory, "-id") == descending and sql == []
    assert [ids for ids, _ in walk(factory, "id")] == [[1, 2], [3, 4], [5], [3, 4]]
    assert len(sql) == 4  # another order: entries of its own
    with factory() as session:
        session.add(Account(id=6, email="a6@example.com", name="name 6"))
        session.commit()
    sql.clear()
    assert walk(factory, "-id")[0][0] == [6, 5]
    assert sql
