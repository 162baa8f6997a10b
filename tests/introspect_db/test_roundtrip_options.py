"""Tables whose model must carry more than columns and keys to be created again (issue 12).

Each case is a table on the real server; the project generated from it is imported, its metadata
`create_all`-ed into an EMPTY database of the same dialect, and the two databases are compared
through the Inspector and the catalogs (information_schema, pg_partitioned_table, pg_inherits):
identical, or a warning at generation time names the table and what the model cannot carry.

- PostgreSQL sequences: a SERIAL inside a composite key (Pagila's `payment`), a sequence created
  on its own and shared by a key and a plain column, one in another schema; the plain SERIAL key
  stays `autoincrement` (no `sa.Sequence`).
- PostgreSQL `COLLATE "C"` on a column, `PARTITION BY` (partitions left out, named), `INHERITS`
  (warned), rules (warned; writes that need RETURNING or ON CONFLICT raise
  `UnsupportedWriteError`, sync and async, and leave the session usable).
- MariaDB: a utf8mb3 table with a utf8mb3_bin column and a MyISAM table in a utf8mb4/InnoDB
  database keep their charset, collations and engine; HASH and KEY partitioning is kept, RANGE
  (whose definitions SQLAlchemy cannot render) is warned about.
- Alembic: `db revision --autogenerate` + `db upgrade` on an empty PostgreSQL database create the
  sequences before the tables, and the downgrade drops them.
"""

from __future__ import annotations

import asyncio
import datetime
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import Session

from .conftest import database_on
from .support import OUT, Result, forget, generate, imported, make_project, run

PG_DDL = r"""
CREATE SCHEMA sales;
CREATE SEQUENCE ticket_numbers START 100;
CREATE SEQUENCE sales.order_numbers;
CREATE TABLE line (order_id int, line_no serial, qty int, PRIMARY KEY (order_id, line_no));
CREATE TABLE ticket (
  id int PRIMARY KEY DEFAULT nextval('ticket_numbers'),
  note text COLLATE "C"
);
CREATE TABLE counter (id serial PRIMARY KEY, n int DEFAULT nextval('ticket_numbers'));
CREATE TABLE sales.orders (
  region int, number int DEFAULT nextval('sales.order_numbers'), PRIMARY KEY (region, number)
);
CREATE TABLE measurement (id int, taken date, value float, PRIMARY KEY (id, taken))
  PARTITION BY RANGE (taken);
CREATE TABLE measurement_2024 PARTITION OF measurement
  FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE measurement_2025 PARTITION OF measurement
  FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE animal (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE dog (good boolean NOT NULL DEFAULT true) INHERITS (animal);
CREATE TABLE payment (
  id serial PRIMARY KEY, amount int NOT NULL, paid date NOT NULL DEFAULT now(),
  UNIQUE (amount, paid)
);
CREATE TABLE payment_2024 (CHECK (paid >= '2024-01-01')) INHERITS (payment);
CREATE RULE payment_insert_2024 AS ON INSERT TO payment WHERE (new.paid >= '2024-01-01')
  DO INSTEAD INSERT INTO payment_2024 VALUES (DEFAULT, new.amount, new.paid);
"""

MY_DDL = [
    "CREATE TABLE legacy (id int PRIMARY KEY, name varchar(40) COLLATE utf8mb3_bin NOT NULL,"
    " other varchar(10)) DEFAULT CHARSET=utf8mb3",
    "CREATE TABLE archive (id int PRIMARY KEY, code varchar(10) CHARACTER SET latin1"
    " COLLATE latin1_bin) ENGINE=MyISAM",
    "CREATE TABLE modern (id int PRIMARY KEY, name varchar(20))",
    "CREATE TABLE bucket (id int PRIMARY KEY) PARTITION BY HASH (id) PARTITIONS 4",
    "CREATE TABLE keyed (id int PRIMARY KEY) PARTITION BY KEY (id) PARTITIONS 3",
    "CREATE TABLE ledger (id int NOT NULL, paid_on date NOT NULL, PRIMARY KEY (id, paid_on))"
    " PARTITION BY RANGE (YEAR(paid_on)) (PARTITION p2022 VALUES LESS THAN (2023),"
    " PARTITION p2023 VALUES LESS THAN (2024))",
]
PAID = datetime.date(2024, 3, 1)
MY_DEFAULTS = "ALTER DATABASE {} CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci"


@dataclass(frozen=True)
class Generated:
    url: sa.URL
    project: Path
    result: Result


@pytest.fixture(scope="module")
def pg(server_admin: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Generated]:
    with database_on(server_admin("postgresql"), "postgresql") as url:
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            connection.exec_driver_sql(PG_DDL)
        engine.dispose()
        project = make_project(tmp_path_factory.mktemp("pg-options") / "project", formatter="ruff")
        yield Generated(url, project, generate(url, project, "--schema", "public,sales"))


@pytest.fixture(scope="module")
def pg_copy(pg: Generated, server_admin: Any) -> Iterator[sa.URL]:
    """An empty database, `create_all`-ed from the generated models (the schema made first:
    schemas are the one thing the models assume exist)."""
    with database_on(server_admin("postgresql"), "postgresql") as url:
        engine = sa.create_engine(url)
        try:
            with imported(pg.project) as db, engine.begin() as connection:
                connection.exec_driver_sql("CREATE SCHEMA sales")
                db.models.Base.metadata.create_all(connection)
        finally:
            engine.dispose()
        yield url


def _warnings(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("warning:")]


def _pg_columns(url: sa.URL, schema: str | None, table: str) -> dict[str, Any]:
    """Each column as the Inspector reports it: type (with its collation), null, default."""
    engine = sa.create_engine(url)
    try:
        inspector = sa.inspect(engine)
        return {
            c["name"]: (str(c["type"].compile(dialect=engine.dialect)), c["nullable"], c["default"])
            for c in inspector.get_columns(table, schema)
        }
    finally:
        engine.dispose()


def _execute(url: sa.URL, *statements: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.exec_driver_sql(statement)
    finally:
        engine.dispose()


def _rows(url: sa.URL, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(sa.text(sql), params)]
    finally:
        engine.dispose()


# --- sequences -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "table"),
    [
        (None, "line"),
        (None, "ticket"),
        (None, "counter"),
        ("sales", "orders"),
        (None, "payment"),  # a SERIAL key whose sequence an INHERITS child's default shares
        (None, "payment_2024"),
    ],
)
def test_sequence_backed_columns_are_created_again(
    pg: Generated, pg_copy: sa.URL, schema: str | None, table: str
) -> None:
    """Same columns, types and defaults (`nextval('line_line_no_seq'::regclass)`, ...): the
    sequences exist in the copy, created from `sa.Sequence` before their tables."""
    original = _pg_columns(pg.url, schema, table)
    assert any("nextval(" in str(default) for _, _, default in original.values())
    assert _pg_columns(pg_copy, schema, table) == original


def test_the_copy_has_the_same_sequences(pg: Generated, pg_copy: sa.URL) -> None:
    query = "SELECT schemaname, sequencename FROM pg_sequences ORDER BY 1, 2"
    assert _rows(pg_copy, query) == _rows(pg.url, query)


def test_a_plain_serial_key_stays_autoincrement(pg: Generated) -> None:
    """The single-column SERIAL key (`counter.id`) is spelled as before: no sa.Sequence, no
    server default; its other column, drawing from a shared sequence, gets the sequence."""
    source = (pg.project / OUT / "models" / "counter.py").read_text()
    assert 'sa.Sequence("ticket_numbers")' in source
    assert "counter_id_seq" not in source
    with imported(pg.project) as db:
        table = db.models.Counter.__table__
        assert table.c.id.default is None and table.c.id.server_default is None
        assert table.autoincrement_column is table.c.id
        sequence = db.models.Order.__table__.c.number.default
        assert (sequence.name, sequence.schema) == ("order_numbers", "sales")


def test_a_serial_in_a_composite_key_numbers_new_rows(pg: Generated, pg_copy: sa.URL) -> None:
    """Pagila's `payment` shape: the repository adds a row without the serial column and gets
    the number the sequence gave it."""
    engine = sa.create_engine(pg_copy)
    try:
        with imported(pg.project) as db, Session(engine) as session:
            repository = db.LineRepository(session)
            first = repository.add(db.models.Line(order_id=7, qty=1))
            second = repository.add(db.models.Line(order_id=7, qty=2))
            assert (first.line_no, second.line_no) == (1, 2)
            session.rollback()
    finally:
        engine.dispose()


@contextmanager
def _migrating(project: Path) -> Iterator[Path]:
    """`db` commands on a generated project, in this process: its `app` package is imported
    afresh (not another project's, left in sys.modules) and its revisions removed after."""
    versions = project / OUT / "migrations" / "versions"
    forget("app")
    try:
        yield versions
    finally:
        forget("app")
        for script in versions.glob("*.py"):
            script.unlink()


def test_autogenerate_and_upgrade_create_the_sequences(pg: Generated, server_admin: Any) -> None:
    """`db revision --autogenerate` on an empty database, then `db upgrade`: the revision creates
    the sequences before the tables (Alembic renders no sa.Sequence), and the tables come out
    as the original's; `db check` then finds no drift, and the downgrade drops the sequences."""
    with (
        database_on(server_admin("postgresql"), "postgresql") as url,
        _migrating(pg.project) as versions,
    ):
        _execute(url, "CREATE SCHEMA sales")
        text = url.render_as_string(hide_password=False)
        for command in (("revision", "-m", "all", "--autogenerate"), ("upgrade",), ("check",)):
            result = run("db", *command, "--url", text, project=pg.project)
            assert result.code == 0, result.stdout + result.stderr
        assert "no drift" in result.stdout
        (script,) = versions.glob("*.py")
        assert "op.execute('CREATE SEQUENCE line_line_no_seq')" in script.read_text()
        tables = [(None, "line"), (None, "ticket"), ("sales", "orders"), (None, "payment")]
        for schema, table in [*tables, (None, "payment_2024")]:
            assert _pg_columns(url, schema, table) == _pg_columns(pg.url, schema, table)
        result = run("db", "downgrade", "base", "--url", text, project=pg.project)
        assert result.code == 0, result.stdout + result.stderr
        assert _rows(url, "SELECT sequencename FROM pg_sequences") == []


# --- collation, partitions, inheritance ----------------------------------------------------


def test_a_column_collation_is_kept(pg: Generated, pg_copy: sa.URL) -> None:
    query = (
        "SELECT column_name, collation_name FROM information_schema.columns"
        " WHERE table_name = 'ticket' ORDER BY column_name"
    )
    assert _rows(pg_copy, query) == _rows(pg.url, query) == [("id", None), ("note", "C")]


def test_a_partitioned_table_is_created_partitioned(pg: Generated, pg_copy: sa.URL) -> None:
    query = (
        "SELECT c.relname, pg_get_partkeydef(c.oid) FROM pg_partitioned_table p"
        " JOIN pg_class c ON c.oid = p.partrelid"
    )
    assert _rows(pg_copy, query) == _rows(pg.url, query) == [("measurement", "RANGE (taken)")]
    assert _pg_columns(pg_copy, None, "measurement") == _pg_columns(pg.url, None, "measurement")


def test_partitions_are_left_out_and_named(pg: Generated) -> None:
    modules = {p.stem for p in (pg.project / OUT / "models").glob("*.py")}
    assert "measurement" in modules and not any("measurement_" in m for m in modules)
    assert (
        "warning: measurement: partitioned table (PARTITION BY RANGE (taken)): the model carries"
        " postgresql_partition_by; its partitions measurement_2024, measurement_2025 are not"
        " modelled and left out (create them with a migration)"
    ) in _warnings(pg.result)


def test_an_inherits_child_is_warned_about(pg: Generated, pg_copy: sa.URL) -> None:
    """The child is generated as a plain table with its own copy of the columns, and said so."""
    assert (
        "warning: dog: inherits from animal (INHERITS): the model does not carry the"
        " inheritance; create_all makes a plain table with its own copy of the columns"
    ) in _warnings(pg.result)
    inherits = "SELECT inhrelid::regclass::text, inhparent::regclass::text FROM pg_inherits"
    assert ("dog", "animal") in _rows(pg.url, inherits)
    assert ("dog", "animal") not in _rows(pg_copy, inherits)
    assert _pg_columns(pg_copy, None, "dog") == _pg_columns(pg.url, None, "dog")


# --- rules ---------------------------------------------------------------------------------


def test_a_rule_is_warned_about(pg: Generated) -> None:
    assert (
        "warning: payment: rules payment_insert_2024 (ON INSERT DO INSTEAD) rewrite writes to"
        " this table: PostgreSQL can refuse INSERT ... RETURNING, INSERT ... ON CONFLICT on this"
        " table, so the generated write methods that need them raise UnsupportedWriteError;"
        " the rules are not in the model"
    ) in _warnings(pg.result)


def _check_refused(error: Any, runtime: ModuleType) -> None:
    assert isinstance(error, runtime.UnsupportedWriteError)
    assert isinstance(error, runtime.RepositoryError)
    assert error.model == "Payment" and error.table == "payment"
    assert 'table "payment"' in str(error) and "a rule" in str(error)


def test_writes_a_rule_refuses_raise_a_typed_error(pg: Generated) -> None:
    import sublimate_runtime as runtime

    engine = sa.create_engine(pg.url)
    try:
        with imported(pg.project) as db, Session(engine) as session:
            repository = db.PaymentRepository(session)
            with pytest.raises(runtime.UnsupportedWriteError) as added:
                repository.add(db.models.Payment(amount=5, paid=PAID))
            _check_refused(added.value, runtime)
            assert "INSERT RETURNING" in str(added.value)
            with pytest.raises(runtime.UnsupportedWriteError) as upserted:
                repository.upsert(db.models.Payment(amount=5, paid=PAID), on="amount_and_paid")
            _check_refused(upserted.value, runtime)
            assert repository.count() == 0  # the session is usable: rolled back, not aborted
    finally:
        engine.dispose()


def test_writes_a_rule_refuses_raise_a_typed_error_async(pg: Generated) -> None:
    import sublimate_runtime as runtime

    async def main() -> None:
        engine = create_async_engine(pg.url.set(drivername="postgresql+asyncpg"))
        try:
            async with AsyncSession(engine) as session:
                repository = db.AsyncPaymentRepository(session)
                with pytest.raises(runtime.UnsupportedWriteError) as added:
                    await repository.add(db.models.Payment(amount=6, paid=PAID))
                _check_refused(added.value, runtime)
                assert await repository.count() == 0
        finally:
            await engine.dispose()

    with imported(pg.project) as db:
        asyncio.run(main())


# --- MariaDB -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def my(server_admin: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Generated]:
    with database_on(server_admin("mysql"), "mysql") as url:
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            connection.exec_driver_sql(MY_DEFAULTS.format(url.database))
            for statement in MY_DDL:
                connection.exec_driver_sql(statement)
        engine.dispose()
        project = make_project(tmp_path_factory.mktemp("my-options") / "project", formatter="ruff")
        yield Generated(url, project, generate(url, project))


_MY_TABLES = (
    "SELECT TABLE_NAME, ENGINE, TABLE_COLLATION FROM information_schema.TABLES"
    " WHERE TABLE_SCHEMA = :db ORDER BY TABLE_NAME"
)
_MY_COLUMNS = (
    "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, CHARACTER_SET_NAME, COLLATION_NAME"
    " FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = :db ORDER BY TABLE_NAME, COLUMN_NAME"
)


@pytest.fixture(scope="module")
def my_copy(my: Generated, server_admin: Any) -> Iterator[sa.URL]:
    """An empty utf8mb4/InnoDB database, `create_all`-ed from the generated models."""
    with database_on(server_admin("mysql"), "mysql") as copy:
        engine = sa.create_engine(copy)
        try:
            with engine.begin() as connection:
                connection.exec_driver_sql(MY_DEFAULTS.format(copy.database))
            with imported(my.project) as db:
                db.models.Base.metadata.create_all(engine)
        finally:
            engine.dispose()
        yield copy


def test_mariadb_charset_collation_and_engine_are_kept(my: Generated, my_copy: sa.URL) -> None:
    for query in (_MY_TABLES, _MY_COLUMNS):
        assert _rows(my_copy, query, db=my_copy.database) == _rows(
            my.url, query, db=my.url.database
        )
    tables = {name: (engine, collation) for name, engine, collation in
              _rows(my.url, _MY_TABLES, db=my.url.database)}  # fmt: skip
    assert tables == {
        "archive": ("MyISAM", "utf8mb4_general_ci"),
        "bucket": ("InnoDB", "utf8mb4_general_ci"),
        "keyed": ("InnoDB", "utf8mb4_general_ci"),
        "ledger": ("InnoDB", "utf8mb4_general_ci"),
        "legacy": ("InnoDB", "utf8mb3_general_ci"),
        "modern": ("InnoDB", "utf8mb4_general_ci"),
    }


_MY_PARTITIONS = (
    "SELECT TABLE_NAME, PARTITION_METHOD, PARTITION_EXPRESSION, COUNT(*)"
    " FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = :db AND PARTITION_NAME IS NOT NULL"
    " GROUP BY TABLE_NAME, PARTITION_METHOD, PARTITION_EXPRESSION ORDER BY TABLE_NAME"
)


def test_mariadb_hash_and_key_partitioning_is_kept_range_is_warned_about(
    my: Generated, my_copy: sa.URL
) -> None:
    """PARTITION BY HASH/KEY ... PARTITIONS n is carried; RANGE's definitions cannot be (SQLAlchemy
    reflects them as text it cannot render), so that table is unpartitioned, and said so."""
    assert _rows(my.url, _MY_PARTITIONS, db=my.url.database) == [
        ("bucket", "HASH", "`id`", 4),
        ("keyed", "KEY", "`id`", 3),
        ("ledger", "RANGE", "year(`paid_on`)", 2),
    ]
    assert _rows(my_copy, _MY_PARTITIONS, db=my_copy.database) == [
        ("bucket", "HASH", "`id`", 4),
        ("keyed", "KEY", "`id`", 3),
    ]
    assert (
        "warning: ledger: partitioned table (PARTITION BY RANGE (year(`paid_on`))) with partition"
        " definitions SQLAlchemy cannot spell: the model leaves the partitioning out (create_all"
        " makes an unpartitioned table; partition it with a migration)"
    ) in _warnings(my.result)


def test_mariadb_autogenerate_and_upgrade_keep_the_options(
    my: Generated, server_admin: Any
) -> None:
    """The options reach Alembic's create_table too: an upgrade on an empty database gives the
    same tables as `create_all` (charset, collations, engine, HASH/KEY partitions)."""
    with database_on(server_admin("mysql"), "mysql") as url, _migrating(my.project):
        _execute(url, MY_DEFAULTS.format(url.database))
        text = url.render_as_string(hide_password=False)
        for command in (("revision", "-m", "all", "--autogenerate"), ("upgrade",)):
            result = run("db", *command, "--url", text, project=my.project)
            assert result.code == 0, result.stdout + result.stderr
        for query in (_MY_TABLES, _MY_COLUMNS, _MY_PARTITIONS):
            copied = [r for r in _rows(url, query, db=url.database) if r[0] != "alembic_version"]
            original = _rows(my.url, query, db=my.url.database)
            if query is _MY_PARTITIONS:
                original = [r for r in original if r[0] != "ledger"]
            assert copied == original


def test_mariadb_options_only_where_they_differ(my: Generated) -> None:
    """A table in the database's defaults gets no options; the others only what differs."""
    with imported(my.project) as db:
        models = sys.modules[f"{db.__name__}.models"]
        assert models.Modern.__table__.dialect_kwargs == {}
        assert models.Legacy.__table__.dialect_kwargs == {
            "mysql_charset": "utf8mb3",
            "mysql_collate": "utf8mb3_general_ci",
        }
        assert models.Archive.__table__.dialect_kwargs == {"mysql_engine": "MyISAM"}
        assert models.Bucket.__table__.dialect_kwargs == {
            "mysql_partition_by": "HASH (`id`)",
            "mysql_partitions": "4",
        }
        assert models.Ledger.__table__.dialect_kwargs == {}


def test_check_reports_a_changed_table_option(scratch_database: Any, tmp_path: Path) -> None:
    """The manifest records the options and sequences, so `check` names what changed."""
    url = scratch_database("mysql").url
    _execute(url, MY_DEFAULTS.format(url.database), "CREATE TABLE note (id int PRIMARY KEY)")
    project = make_project(tmp_path / "project", formatter="ruff")
    generate(url, project)
    _execute(url, "ALTER TABLE note ENGINE=MyISAM")
    text = url.render_as_string(hide_password=False)
    result = run("check", "--url", text, project=project)
    assert result.code == 1
    assert "note: option mysql_engine added (MyISAM)" in result.stdout + result.stderr


def test_mariadb_default_the_reflection_drops_is_warned_about(
    server_admin: Any, tmp_path: Path
) -> None:
    """SQLAlchemy's SHOW CREATE TABLE parser reads MariaDB's `DEFAULT nextval(seq)` as no default
    at all: the model cannot carry it, so generation names the column and the default."""
    with database_on(server_admin("mysql"), "mysql") as url:
        _execute(url, "CREATE SEQUENCE ticket_numbers")
        _execute(
            url,
            "CREATE TABLE ticket (id int PRIMARY KEY DEFAULT nextval(ticket_numbers),"
            " note varchar(20) DEFAULT 'x')",
        )
        result = generate(url, make_project(tmp_path / "project", formatter="ruff"))
    lost = [line for line in _warnings(result) if "ticket.id" in line]
    assert len(lost) == 1, result.stderr
    assert "nextval(" in lost[0] and "not carried" in lost[0]
    assert not [line for line in _warnings(result) if "ticket.note" in line]  # carried: silent


def test_postgresql_extensions_are_named_in_a_warning(
    server_admin: Any, tmp_path: Path
) -> None:
    """A gist index on an integer needs btree_gist: create_all on a new database fails until the
    extension exists, and the models do not create it. Generation says so, naming it."""
    with database_on(server_admin("postgresql"), "postgresql") as url:
        _execute(
            url,
            "CREATE EXTENSION btree_gist",
            "CREATE TABLE slot (id int PRIMARY KEY, room int NOT NULL)",
            "CREATE INDEX ix_slot_room ON slot USING gist (room)",
        )
        result = generate(url, make_project(tmp_path / "project", formatter="ruff"))
    named = [line for line in _warnings(result) if "extensions" in line]
    assert named == [
        "warning: database: extensions btree_gist are installed: the models do not create them;"
        " run CREATE EXTENSION on a new database (or in a migration) before create_all or upgrade"
    ], result.stderr
