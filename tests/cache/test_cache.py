"""The cache through a repository written like the generated ones, on memory and Redis regions.

Statement counts come from a ``before_cursor_execute`` listener: a hit must send no SQL at all.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from dogpile.cache import make_region
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker
from sublimate_runtime import (
    Cache,
    CacheInvalidationWarning,
    CacheUnavailableWarning,
    NotFoundError,
    session_factory,
)

from .app import _CACHE, Account, AccountRepository, Note, statements


def names(accounts: list[Account]) -> list[str]:
    return [account.name for account in accounts]


def test_hits_issue_no_sql(factory: sessionmaker[Session], engine: Engine) -> None:
    sql = statements(engine)

    def read_all() -> tuple[object, ...]:
        with factory() as session:
            repo = AccountRepository(session)
            got = repo.get(2).name  # first: later reads would put row 2 in the identity map
            by_email = repo.get_by_email("a3@example.com")
            page, total = repo.list_and_count(limit=2)
            return (
                got,
                by_email.name if by_email else None,
                names(repo.list(limit=3)),
                repo.count(),
                (names(page), total),
            )

    first = read_all()
    assert first == (
        "name 2",
        "name 3",
        ["name 1", "name 2", "name 3"],
        5,
        (["name 1", "name 2"], 5),
    )
    assert len(sql) == 5  # one statement per uncached call
    sql.clear()
    assert read_all() == first
    assert len(sql) == 1  # get_by's first hit loads the row it points to, by primary key
    sql.clear()
    assert read_all() == first
    assert sql == []


def test_get_by_costs_at_most_one_primary_key_load(
    factory: sessionmaker[Session], engine: Engine
) -> None:
    sql = statements(engine)
    for expected in (1, 1, 0, 0):  # the key query; the pointed-to row by primary key; hits
        sql.clear()
        with factory() as session:
            found = AccountRepository(session).get_by_email("a4@example.com")
            assert found is not None and found.id == 4
        assert len(sql) == expected, sql


def test_hits_are_session_instances_not_shared_objects(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        AccountRepository(session).get(1)
    with factory() as one, factory() as two:
        a, b = AccountRepository(one).get(1), AccountRepository(two).get(1)
        assert a is not b
        assert a in one and b in two
        assert AccountRepository(one).get(1) is a  # the identity map, as session.get would
        assert AccountRepository(one).list(limit=1)[0] is a
        a.name = "changed in memory only"
        one.expunge(a)
    with factory() as three:
        assert AccountRepository(three).get(1).name == "name 1"


def test_hits_are_loaded_like_query_results(factory: sessionmaker[Session], engine: Engine) -> None:
    with factory() as session:
        AccountRepository(session).list()
    sql = statements(engine)
    with factory() as session:
        accounts = AccountRepository(session).list()
        assert all(a.reconstructed for a in accounts)  # the load event ran
        assert not session.dirty and not session.new
        accounts[0].name = "edited"
        session.commit()  # an ordinary persistent object: the change is flushed as an UPDATE
    assert [s.split()[0] for s in sql] == ["UPDATE"]
    with Session(engine) as check:
        assert check.get(Account, 1).name == "edited"  # type: ignore[union-attr]


def test_keys_of_another_type_bypass_the_cache(
    factory: sessionmaker[Session], engine: Engine
) -> None:
    """get("1") on an integer key would have its own entry that writes (keyed 1) never bump."""
    sql = statements(engine)
    for _ in range(2):
        with factory() as session:
            assert AccountRepository(session).get("1").name == "name 1"  # type: ignore[arg-type]
    assert len(sql) == 2  # ran each time: never cached, so never stale
    with factory.begin() as session:
        AccountRepository(session).update(1, name="fresh")
    with factory() as session:
        assert AccountRepository(session).get("1").name == "fresh"  # type: ignore[arg-type]


def test_committed_writes_invalidate(factory: sessionmaker[Session], engine: Engine) -> None:
    sql = statements(engine)
    with factory() as session:
        repo = AccountRepository(session)
        repo.get(1), repo.list(), repo.count(), repo.get_by_email("a1@example.com")
    with factory.begin() as session:
        AccountRepository(session).update(1, name="renamed")
    sql.clear()
    with factory() as session:
        repo = AccountRepository(session)
        assert repo.get(1).name == "renamed"
        assert names(repo.list())[0] == "renamed"
        assert repo.count() == 5
        assert repo.get_by_email("a1@example.com").name == "renamed"  # type: ignore[union-attr]
    assert len(sql) == 4  # each re-read once (a write bumps its row's current key values too)


def test_add_invalidates_lists_counts_and_negative_gets(
    factory: sessionmaker[Session], engine: Engine
) -> None:
    with factory() as session:
        repo = AccountRepository(session)
        assert repo.count() == 5
        assert len(repo.list()) == 5
        assert repo.get_by_email("new@example.com") is None
        with pytest.raises(NotFoundError):
            repo.get(99)
    sql = statements(engine)
    with factory() as session:  # all four cached, the misses included
        repo = AccountRepository(session)
        assert repo.count() == 5 and repo.get_by_email("new@example.com") is None
        with pytest.raises(NotFoundError):
            repo.get(99)
    assert sql == []
    with factory.begin() as session:
        AccountRepository(session).add(Account(id=99, email="new@example.com", name="new"))
    with factory() as session:
        repo = AccountRepository(session)
        assert repo.count() == 6
        assert names(repo.list())[-1] == "new"
        assert repo.get(99).name == "new"
        assert repo.get_by_email("new@example.com").id == 99  # type: ignore[union-attr]


def test_delete_invalidates(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        repo = AccountRepository(session)
        repo.get(5), repo.count(), repo.get_by_email("a5@example.com")
    with factory.begin() as session:
        AccountRepository(session).delete(5)
    with factory() as session:
        repo = AccountRepository(session)
        with pytest.raises(NotFoundError):
            repo.get(5)
        assert repo.count() == 4
        assert repo.get_by_email("a5@example.com") is None


def test_a_unique_key_that_moves(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        assert AccountRepository(session).get_by_email("a2@example.com") is not None
    with factory.begin() as session:
        AccountRepository(session).update(2, email="moved@example.com")
    with factory() as session:
        repo = AccountRepository(session)
        assert repo.get_by_email("a2@example.com") is None  # old pointer found stale
        assert repo.get_by_email("moved@example.com").id == 2  # type: ignore[union-attr]
        assert repo.get_by_email("a2@example.com") is None


def test_rolled_back_write_changes_nothing(factory: sessionmaker[Session], engine: Engine) -> None:
    with factory() as session:
        repo = AccountRepository(session)
        repo.get(1), repo.list(), repo.count()
    with factory() as session:
        repo = AccountRepository(session)
        repo.update(1, name="never")
        repo.add(Account(id=50, email="x@example.com", name="never"))
        assert repo.get(1).name == "never"  # the session reads its own writes...
        assert repo.count() == 6
        session.rollback()
    sql = statements(engine)
    with factory() as session:
        repo = AccountRepository(session)
        assert repo.get(1).name == "name 1"
        assert repo.count() == 5
        assert "never" not in names(repo.list())
    assert sql == []  # ...and the rollback invalidated nothing: still hits


def test_reads_your_own_writes_before_commit(
    factory: sessionmaker[Session], engine: Engine
) -> None:
    with factory() as session:
        AccountRepository(session).get(3)
    with factory() as writer:
        AccountRepository(writer).update(3, name="pending")
        assert AccountRepository(writer).get(3).name == "pending"
        sql = statements(engine)
        with factory() as other:  # other sessions keep hitting the committed value
            assert AccountRepository(other).get(3).name == "name 3"
        assert sql == []
        writer.commit()
    with factory() as other:
        assert AccountRepository(other).get(3).name == "pending"


def test_unit_of_work_writes_invalidate(factory: sessionmaker[Session]) -> None:
    """Objects changed, added or deleted through the session (a flush) are registered too."""
    with factory() as session:
        repo = AccountRepository(session)
        repo.get(1), repo.get(2), repo.count()
    with factory.begin() as session:
        AccountRepository(session).get(1).name = "via flush"
        session.delete(AccountRepository(session).get(2))
        session.add(Account(id=70, email="uow@example.com", name="uow"))
    with factory() as session:
        repo = AccountRepository(session)
        assert repo.get(1).name == "via flush"
        with pytest.raises(NotFoundError):
            repo.get(2)
        assert repo.count() == 5


def test_pending_changes_are_flushed_before_a_cached_read(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        AccountRepository(session).count()
    with factory() as session:
        session.add(Account(id=80, email="pending@example.com", name="pending"))
        assert AccountRepository(session).count() == 6  # as autoflush before a query would


def test_savepoint_release_waits_for_the_outer_commit(
    factory: sessionmaker[Session], engine: Engine
) -> None:
    with factory() as session:
        AccountRepository(session).get(4)
    with factory() as session:
        with session.begin_nested():
            AccountRepository(session).update(4, name="in savepoint")
        sql = statements(engine)
        with factory() as other:
            assert AccountRepository(other).get(4).name == "name 4"
        assert sql == []  # not invalidated at RELEASE SAVEPOINT
        session.commit()
    with factory() as other:
        assert AccountRepository(other).get(4).name == "in savepoint"


def test_expired_instances_in_the_session_are_filled_from_a_hit(
    factory: sessionmaker[Session], engine: Engine
) -> None:
    with factory() as session:
        AccountRepository(session).list()
    with factory() as session:
        repo = AccountRepository(session)
        first = repo.list()
        session.rollback()  # expires every instance of the session
        sql = statements(engine)
        again = repo.list()
        assert [a is b for a, b in zip(first, again, strict=True)] == [True] * 5
        assert names(again) == [f"name {i}" for i in range(1, 6)]  # no lazy load needed
        assert sql == []


def test_lists_reading_other_tables_are_not_cached(
    factory: sessionmaker[Session], engine: Engine
) -> None:
    """Writes to another table would not invalidate them, so they always run."""
    with factory.begin() as session:
        session.add(Note(id=1, account_id=1, text="hi"))
    with_notes = [Account.id.in_(select(Note.account_id))]
    sql = statements(engine)
    for expected in ([1], [1, 2]):
        with factory() as session:
            assert [a.id for a in AccountRepository(session).list(with_notes)] == expected
        with factory.begin() as session:
            session.execute(text("INSERT INTO notes (account_id, text) VALUES (2, 'raw')"))
    assert len([s for s in sql if s.startswith("SELECT")]) == 2


def test_invalidate_model_after_raw_sql(factory: sessionmaker[Session], cache: Cache) -> None:
    with factory() as session:
        AccountRepository(session).get(1)
    with factory.begin() as session:
        session.execute(text("UPDATE accounts SET name = 'raw' WHERE id = 1"))
    with factory() as session:
        assert AccountRepository(session).get(1).name == "name 1"  # the runtime cannot know
    cache.invalidate_model(Account)
    with factory() as session:
        assert AccountRepository(session).get(1).name == "raw"


def test_invalidate_all_in_a_transaction(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        AccountRepository(session).get(1), AccountRepository(session).count()
    with factory.begin() as session:
        session.execute(text("DELETE FROM accounts WHERE id = 1"))
        _CACHE.invalidate_all(session)
    with factory() as session:
        with pytest.raises(NotFoundError):
            AccountRepository(session).get(1)
        assert AccountRepository(session).count() == 4


def test_without_an_attached_cache_every_call_runs(engine: Engine) -> None:
    sql = statements(engine)
    for _ in range(2):
        with session_factory(engine)() as session:
            AccountRepository(session).get(1)
            AccountRepository(session).count()
    assert len(sql) == 4


@pytest.mark.parametrize("method", ["list", "get"])
def test_a_stampede_runs_one_query(
    factory: sessionmaker[Session], engine: Engine, method: str
) -> None:
    """Eight threads miss the same key at once: one runs the (slow) query, the rest wait."""
    sql = statements(engine)
    slow = func.sleep_ms(150) == 0
    start = threading.Barrier(8)
    results: list[object] = []
    errors: list[BaseException] = []

    def read() -> None:
        try:
            with factory() as session:
                start.wait()
                if method == "list":
                    results.append(names(AccountRepository(session).list([slow])))
                else:
                    load = select(Account).where(Account.id == 2, slow)
                    found = _CACHE.get(session, (2,), lambda: session.scalars(load).one_or_none())
                    results.append(found.name if found else None)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len([s for s in sql if "sleep_ms" in s]) == 1
    assert len(results) == 8 and len({repr(r) for r in results}) == 1


def test_a_failed_invalidation_warns_and_keeps_the_commit(engine: Engine) -> None:
    """The backend is down at commit: the commit stands, the session stays usable, we warn."""
    dead = make_region().configure(
        "dogpile.cache.redis",
        arguments={"url": "redis://127.0.0.1:1/0", "socket_connect_timeout": 1},
    )
    factory = Cache(dead, namespace="dead").attach(session_factory(engine))
    with factory() as session:
        AccountRepository(session).update(1, name="kept")
        with (
            pytest.warns(CacheUnavailableWarning),
            pytest.warns(CacheInvalidationWarning, match="invalidation failed"),
        ):
            session.commit()
        assert session.scalar(select(Account.name).where(Account.id == 1)) == "kept"
    with Session(engine) as check:
        assert check.get(Account, 1).name == "kept"  # type: ignore[union-attr]


def test_two_regions_on_one_store_share_invalidations(
    engine: Engine, backend: object, db_path: Path
) -> None:
    """Two app instances (two regions): a commit in one is seen by the other's next read."""
    from .conftest import Backend

    assert isinstance(backend, Backend)
    if backend.name == "memory":
        pytest.skip("a memory region is private to its instance: nothing to share")
    one = Cache(backend.region(), namespace=backend.namespace).attach(session_factory(engine))
    two = Cache(backend.region(), namespace=backend.namespace).attach(session_factory(engine))
    with two() as session:
        assert AccountRepository(session).get(1).name == "name 1"
    with one.begin() as session:
        AccountRepository(session).update(1, name="from one")
    with two() as session:
        assert AccountRepository(session).get(1).name == "from one"


def test_two_processes_see_each_others_commits(
    factory: sessionmaker[Session], backend: object, db_path: Path
) -> None:
    """A write committed here is seen by the other process's next read; a rollback is not."""
    from .conftest import Backend

    assert isinstance(backend, Backend)
    if backend.name == "memory":
        pytest.skip("a memory region lives in one process")
    child = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("child.py")), f"sqlite:///{db_path}",
         backend.namespace],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert child.stdin is not None and child.stdout is not None

    def ask(command: str) -> str:
        assert child.stdin is not None and child.stdout is not None
        child.stdin.write(command + "\n")
        child.stdin.flush()
        return child.stdout.readline().strip()

    try:
        assert child.stdout.readline().strip() == "ready"
        assert ask("get 1") == "name_1 1"  # miss: the child queries and fills the cache
        assert ask("get 1") == "name_1 0"  # hit
        with factory() as session:
            AccountRepository(session).update(1, name="rolled back")
            session.rollback()
        assert ask("get 1") == "name_1 0"  # the rollback invalidated nothing
        with factory.begin() as session:
            AccountRepository(session).update(1, name="committed here")
        assert ask("get 1") == "committed_here 1"  # the commit's bump reached the child
        assert ask("get 1") == "committed_here 0"
        with factory() as session:  # and the other way round: the child filled, we hit
            assert AccountRepository(session).get(1).name == "committed here"
        ask("quit")
    finally:
        child.stdin.close()
        child.wait(timeout=20)
