"""PostgreSQL cases, on the real server: one database holding every case, generated once.

Native enums, domains, arrays, JSONB, UUID, INET/CIDR/MACADDR, TSVECTOR, MONEY, ranges, identity
and computed columns, server defaults and sequences, comments with quotes and newlines, an
expression index, partitions, views and a materialized view, a table without a primary key,
composite keys, two foreign keys to one table, a self-reference, many-to-many and an association
object, the same table name in two schemas and a foreign key across schemas, unknown types.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from .conftest import database_on
from .roundtrip import roundtrip
from .support import OUT, Result, generate, imported, lint, make_project, run

DDL = r'''
CREATE TYPE mood AS ENUM ('happy', 'it''s "ok"', 'sad');
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE SEQUENCE flight_numbers;
CREATE SCHEMA sales;
CREATE TABLE customers (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email varchar(320) NOT NULL UNIQUE,
  mood mood NOT NULL DEFAULT 'happy',
  tags text[],
  prefs jsonb,
  token uuid NOT NULL DEFAULT gen_random_uuid(),
  ip inet, net cidr, mac macaddr,
  search tsvector,
  balance money,
  stay int4range,
  active_during tstzrange,
  score posint,
  doubled integer GENERATED ALWAYS AS (id * 2) STORED,
  created timestamp(3) with time zone NOT NULL DEFAULT now(),
  wait interval
);
COMMENT ON TABLE customers IS 'People who buy: it''s "quoted"
and """tripled""" \ backslashed';
COMMENT ON COLUMN customers.email IS 'login """ e-mail
second line';
CREATE INDEX ix_customers_lower_email ON customers (lower(email));
CREATE TABLE sales.customers (id serial PRIMARY KEY, name text NOT NULL);
CREATE TABLE sales.orders (
  id bigserial PRIMARY KEY,
  customer_id integer NOT NULL REFERENCES public.customers (id) ON DELETE CASCADE,
  sales_customer_id integer REFERENCES sales.customers (id),
  total numeric(12, 2) NOT NULL CHECK (total >= 0)
);
CREATE TABLE airports (code char(3) PRIMARY KEY, name text NOT NULL);
CREATE TABLE flights (
  id serial PRIMARY KEY,
  origin char(3) NOT NULL REFERENCES airports (code),
  destination char(3) NOT NULL REFERENCES airports (code),
  number integer NOT NULL DEFAULT nextval('flight_numbers')
);
CREATE TABLE employees (
  id integer PRIMARY KEY, name text NOT NULL, manager_id integer REFERENCES employees (id)
);
CREATE TABLE students (id integer PRIMARY KEY, name text NOT NULL);
CREATE TABLE courses (id integer PRIMARY KEY, title text NOT NULL);
CREATE TABLE enrollments (
  student_id integer REFERENCES students (id) ON DELETE CASCADE,
  course_id integer REFERENCES courses (id) ON DELETE CASCADE,
  PRIMARY KEY (student_id, course_id)
);
CREATE TABLE grades (
  student_id integer REFERENCES students (id),
  course_id integer REFERENCES courses (id),
  grade char(1) NOT NULL,
  PRIMARY KEY (student_id, course_id)
);
CREATE TABLE line_items (
  order_id integer, line_no integer, sku text NOT NULL, PRIMARY KEY (line_no, order_id)
);
CREATE TABLE events (happened timestamptz NOT NULL, kind text NOT NULL, payload jsonb);
CREATE TABLE measurements (id integer, taken date, value double precision,
  PRIMARY KEY (id, taken)) PARTITION BY RANGE (taken);
CREATE TABLE measurements_2024 PARTITION OF measurements
  FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE oddities (id integer PRIMARY KEY, doc xml, spot point);
CREATE VIEW customer_emails AS SELECT id, email FROM customers;
CREATE MATERIALIZED VIEW flight_counts AS
  SELECT origin, count(*) AS flights FROM flights GROUP BY origin;
'''

PG: Any = postgresql.dialect()  # type: ignore[no-untyped-call]


@pytest.fixture(scope="module")
def pg(
    server_admin: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[sa.URL, Path, Result]]:
    admin = server_admin("postgresql")
    with database_on(admin, "postgresql") as url:
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            connection.exec_driver_sql(DDL)
        engine.dispose()
        # ruff formats: this is no test of the formatter (black: 9-10 s for this fixture, ruff 3-4).
        project = make_project(tmp_path_factory.mktemp("pg") / "project", formatter="ruff")
        result = generate(url, project, "--schema", "public,sales")
        yield url, project, result


@pytest.fixture(scope="module")
def models(pg: tuple[sa.URL, Path, Result]) -> Iterator[ModuleType]:
    _, project, _ = pg
    with imported(project) as db:
        yield sys.modules[f"{db.__name__}.models"]


def _by_table(models: ModuleType) -> dict[tuple[str | None, str], Any]:
    classes = [getattr(models, n) for n in models.__all__ if n not in ("Base", "ViewBase")]
    return {(c.__table__.schema, c.__table__.name): c for c in classes}


def test_warnings_name_what_was_left_out(pg: tuple[sa.URL, Path, Result]) -> None:
    stderr = pg[2].stderr
    assert "warning: customer_emails: view: read-only repository" in stderr
    assert "warning: flight_counts: view: read-only repository" in stderr
    assert "warning: events: no primary key: read-only repository" in stderr
    assert "warning: oddities.doc: SQL type 'xml' is not understood" in stderr
    assert "warning: oddities.spot: SQL type 'point' is not understood" in stderr


def test_lint_clean(pg: tuple[sa.URL, Path, Result], mypy_cache: Path) -> None:
    lint(pg[1], mypy_cache)


def test_partitions_generate_the_parent_only(pg: tuple[sa.URL, Path, Result]) -> None:
    modules = {p.stem for p in (pg[1] / OUT / "models").glob("*.py")}
    assert "measurement" in modules
    assert not any("2024" in m for m in modules)


def test_types(models: ModuleType) -> None:
    customer = _by_table(models)[(None, "customers")]
    hints = customer.__annotations__
    table = customer.__table__
    assert hints["mood"] == "Mapped[Literal['happy', 'it\\'s \"ok\"', 'sad']]"
    assert isinstance(table.c.mood.type, sa.Enum) and table.c.mood.type.name == "mood"
    assert hints["tags"] == "Mapped[list[str] | None]"
    assert isinstance(table.c.prefs.type, postgresql.JSONB)
    assert hints["token"] == "Mapped[uuid.UUID]"
    assert hints["ip"] == "Mapped[Any | None]" and isinstance(table.c.ip.type, postgresql.INET)
    assert isinstance(table.c.search.type, postgresql.TSVECTOR)
    assert hints["balance"] == "Mapped[str | None]"
    assert hints["stay"] == "Mapped[Range[int] | None]"
    assert hints["active_during"] == "Mapped[Range[datetime.datetime] | None]"
    assert hints["score"] == "Mapped[int | None]"  # the domain's base type
    assert hints["wait"] == "Mapped[datetime.timedelta | None]"
    assert table.c.id.identity is not None and table.c.id.identity.always
    assert table.c.doubled.computed is not None and table.c.doubled.computed.persisted
    assert str(table.c.created.type.compile(dialect=PG)) == ("TIMESTAMP(3) WITH TIME ZONE")
    assert table.c.created.server_default is not None
    flights = _by_table(models)[(None, "flights")].__table__
    assert "nextval('flight_numbers'" in str(flights.c.number.server_default.arg)
    assert flights.c.id.server_default is None  # SERIAL: autoincrement, not a default


def test_comments_are_kept_exactly_and_safely(models: ModuleType, pg: Any) -> None:
    customer = _by_table(models)[(None, "customers")]
    assert customer.__table__.comment == (
        'People who buy: it\'s "quoted"\nand """tripled""" \\ backslashed'
    )
    assert customer.__table__.c.email.comment == 'login """ e-mail\nsecond line'
    assert customer.__doc__ is not None and '"""' not in customer.__doc__
    assert "People who buy" in customer.__doc__


def test_expression_index_is_kept(models: ModuleType) -> None:
    customer = _by_table(models)[(None, "customers")]
    (index,) = [i for i in customer.__table__.indexes if i.name == "ix_customers_lower_email"]
    assert "lower" in str(index.expressions[0])


def test_relationships(models: ModuleType) -> None:
    tables = _by_table(models)
    flight, airport = tables[(None, "flights")], tables[(None, "airports")]
    origin, destination = (
        sa.inspect(flight).relationships["origin_airport"],
        sa.inspect(flight).relationships["destination_airport"],
    )
    assert {c.name for c in origin.local_columns} == {"origin"}
    assert {c.name for c in destination.local_columns} == {"destination"}
    assert set(sa.inspect(airport).relationships.keys()) == {
        "flights_by_origin",
        "flights_by_destination",
    }
    employee = sa.inspect(tables[(None, "employees")]).relationships
    assert employee["manager"].direction.name == "MANYTOONE"
    assert employee["employees_by_manager"].direction.name == "ONETOMANY"
    student = sa.inspect(tables[(None, "students")]).relationships
    assert student["courses"].secondary is tables[(None, "enrollments")].__table__
    assert student["grades"].mapper.class_ is tables[(None, "grades")]  # association object
    order = sa.inspect(tables[("sales", "orders")]).relationships
    assert order["customer"].mapper.class_ is tables[(None, "customers")]  # across schemas
    assert order["sales_customer"].mapper.class_ is tables[("sales", "customers")]
    assert tables[(None, "customers")].__name__ != tables[("sales", "customers")].__name__


def test_views_and_keyless_tables_are_read_only(pg: Any, models: ModuleType) -> None:
    tables = _by_table(models)
    view = tables[(None, "customer_emails")]
    assert view.__table__.metadata is not models.Base.metadata
    assert "customer_emails" not in models.Base.metadata.tables
    with imported(pg[1]) as db:
        assert not hasattr(db.CustomerEmailRepository, "add")
        assert not hasattr(db.EventRepository, "update")
        assert hasattr(db.CustomerRepository, "upsert")


def test_round_trip_every_repository(pg: tuple[sa.URL, Path, Result]) -> None:
    url, project, _ = pg
    engine = sa.create_engine(url)
    try:
        with imported(project) as db:
            done = roundtrip(db, engine)
    finally:
        engine.dispose()
    read_only = {name for name, what in done.items() if what == "read-only"}
    assert read_only == {"CustomerEmail", "FlightCount", "Event"}
    assert len(done) == 16  # every table and view, partitions aside


def test_create_all_recreates_the_tables(
    pg: tuple[sa.URL, Path, Result], models: ModuleType, server_admin: Any
) -> None:
    """Every table but the one with types PostgreSQL has and SQLAlchemy does not know."""
    admin = server_admin("postgresql")
    tables = [t for t in models.Base.metadata.sorted_tables if t.name != "oddities"]
    with database_on(admin, "postgresql") as url:
        engine = sa.create_engine(url)
        try:
            with engine.begin() as connection:
                connection.exec_driver_sql("CREATE SCHEMA sales; CREATE SEQUENCE flight_numbers;")
                models.Base.metadata.create_all(connection, tables=tables)
            inspector = sa.inspect(engine)
            assert set(inspector.get_table_names()) >= {"customers", "flights", "measurements"}
            assert set(inspector.get_table_names(schema="sales")) == {"customers", "orders"}
            identity = next(c for c in inspector.get_columns("customers") if c["name"] == "id")
            assert identity.get("identity", {}).get("always") is True
        finally:
            engine.dispose()


def test_fk_into_a_schema_not_read_is_left_out_with_a_warning(
    pg: tuple[sa.URL, Path, Result], tmp_path: Path
) -> None:
    url = pg[0]
    project = make_project(tmp_path / "sales-only", formatter="ruff")
    result = generate(url, project, "--schema", "sales")
    assert "warning: sales.orders.customer_id: foreign key to customers" in result.stderr
    with imported(project) as db:
        orders = sys.modules[f"{db.__name__}.models"]
        order = next(
            getattr(orders, n) for n in orders.__all__ if getattr(orders, n).__name__ == "Order"
        )
        assert not order.__table__.c.customer_id.foreign_keys
        assert set(sa.inspect(order).relationships.keys()) == {"sales_customer"}


def test_tables_and_exclude_filter(pg: tuple[sa.URL, Path, Result], tmp_path: Path) -> None:
    url = pg[0]
    project = make_project(tmp_path / "filtered")
    result = run(
        "inspect", "--url", url.render_as_string(hide_password=False), "--tables", "fl*,air*",
        "--exclude", "flight_counts", project=project,
    )  # fmt: skip
    assert result.code == 0, result.stderr
    assert '"table": "flights"' in result.stdout and '"table": "airports"' in result.stdout
    assert '"table": "flight_counts"' not in result.stdout
    assert '"table": "customers"' not in result.stdout
