"""SQLite's CREATE INDEX split into elements and condition, column defaults given back their
parentheses (introspect/sqlite_sql.py), and `sa.Index(...)` lines built from `ir.Index`
(index_views.py): what the database says reaches code only as literals, and the line is valid
Python that SQLAlchemy turns into the same DDL."""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.schema import CreateIndex

from sublimate.introspect.sqlite_sql import IndexSql, default_sql, parse_create_index
from sublimate.ir import Index
from sublimate.views.indexes import index_line


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("CREATE INDEX i ON t (a)", IndexSql(("a",), (False,), None)),
        (
            "CREATE UNIQUE INDEX IF NOT EXISTS main.i ON t (a DESC, b ASC) WHERE a > 0;",
            IndexSql(("a", "b"), (False, False), "a > 0"),
        ),
        (  # commas, parentheses and keywords inside literals and quoted names are not syntax
            'CREATE INDEX "i, (x)" ON "t ""q""" ("x, y", substr(note, 1, 2) DESC,'
            " [a)b], `c``d`) WHERE note <> 'it''s, (odd) WHERE' -- a comment (",
            IndexSql(
                ('"x, y"', "substr(note, 1, 2)", "[a)b]", "`c``d`"),
                (False, False, False, False),
                "note <> 'it''s, (odd) WHERE'",
            ),
        ),
        (
            "create index i on t (a collate nocase desc, lower(b) COLLATE RTRIM)",
            IndexSql(("a collate nocase", "lower(b) COLLATE RTRIM"), (True, True), None),
        ),
        ("CREATE INDEX i ON t /* ( */ (a)", IndexSql(("a",), (False,), None)),
    ],
)
def test_create_index_is_split(sql: str, expected: IndexSql) -> None:
    assert parse_create_index(sql) == expected


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE INDEX i ON t (a",  # no closing parenthesis
        "CREATE INDEX i ON t (a) WHERE",  # no condition
        "CREATE INDEX i ON t (a, )",  # an empty element
        "CREATE INDEX i ON t (a) WHERE x = 'open",  # an unterminated string
        "CREATE TABLE t (a)",
        "CREATE INDEX i ON t (a) extra",
    ],
)
def test_what_is_not_a_create_index_is_refused(sql: str) -> None:
    assert parse_create_index(sql) is None


@pytest.mark.parametrize(
    ("declared", "reported", "printed"),
    [
        ("'x'", "'x'", "'x'"),
        ("0", "0", "0"),
        ("-1", "-1", "-1"),
        ("+5", "+5", "+5"),
        ("1.5e3", "1.5e3", "1.5e3"),
        ("x'00ff'", "x'00ff'", "x'00ff'"),
        ("NULL", "NULL", "NULL"),
        ("CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP"),
        ('"quoted"', '"quoted"', '"quoted"'),
        ("bare", "bare", "bare"),
        ("(5)", "5", "5"),
        ("('a' || 'b')", "'a' || 'b'", "('a' || 'b')"),
        ("(datetime('now'))", "datetime('now')", "(datetime('now'))"),
        ("(1 + 2)", "1 + 2", "(1 + 2)"),
        ("((1 + 2))", "(1 + 2)", "((1 + 2))"),
        ("(- 1)", "- 1", "- 1"),
    ],
)
def test_sqlite_defaults_read_back_the_same(declared: str, reported: str, printed: str) -> None:
    """What PRAGMA table_info reports, printed back into DDL, reports the same again."""
    connection = sqlite3.connect(":memory:")
    try:
        connection.execute(f"CREATE TABLE a (c DEFAULT {declared})")
        assert connection.execute("PRAGMA table_info(a)").fetchone()[4] == reported
        assert default_sql(reported) == printed
        connection.execute(f"CREATE TABLE b (c DEFAULT {printed})")
        assert connection.execute("PRAGMA table_info(b)").fetchone()[4] == reported
    finally:
        connection.close()


def _created(line: str, dialect: sa.engine.Dialect) -> str:
    """The CREATE INDEX SQLAlchemy writes for the printed `sa.Index(...)` on a table."""
    index = eval(line, {"sa": sa})  # the line is code we generated, of literals only
    table = sa.Table(
        "t", sa.MetaData(), sa.Column("n", sa.Integer), sa.Column('we"ird', sa.Text), index
    )
    assert index.table is table
    return str(CreateIndex(index).compile(dialect=dialect))


def test_postgresql_index_line() -> None:
    index = Index(
        name="ix 'odd'",
        columns=(),
        expressions=("n", 'lower("we""ird")', 'we"ird'),
        unique=True,
        dialect="postgresql",
        method="gist",
        where="(n > 0) AND ('x' <> '\")')",
        include=("n",),
        opclasses=(('lower("we""ird")', "text_pattern_ops"), ('we"ird', "text_ops")),
        sorting=(("n", ("desc", "nulls_last")), ('we"ird', ("desc",))),
        nulls_not_distinct=True,
        storage=(("fillfactor", "70"),),
    )
    line = index_line(index, {"n", 'we"ird'})
    assert line is not None
    assert _created(line, postgresql.dialect()) == (
        """CREATE UNIQUE INDEX "ix 'odd'" ON t USING gist (n DESC NULLS LAST,"""
        """ lower("we""ird") text_pattern_ops, "we""ird" text_ops DESC) INCLUDE (n)"""
        """ NULLS NOT DISTINCT WITH (fillfactor = 70) WHERE (n > 0) AND ('x' <> '")')"""
    )


def test_mysql_index_line() -> None:
    index = Index(
        name="ft",
        columns=('we"ird', "n"),
        expressions=(),
        unique=False,
        dialect="mysql",
        prefix="FULLTEXT",
        parser="ngram",
        lengths=(('we"ird', 10),),
    )
    line = index_line(index, {"n", 'we"ird'})
    assert line is not None
    assert _created(line, mysql.dialect()) == (
        'CREATE FULLTEXT INDEX ft ON t (`we"ird`(10), n) WITH PARSER ngram'
    )


def test_an_index_of_the_models_front_end_prints_as_before() -> None:
    index = Index(name="ix_a", columns=("n",), expressions=(), unique=True)
    assert index_line(index, {"n"}) == "sa.Index('ix_a', 'n', unique=True)"
