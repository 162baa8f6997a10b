"""The .sql parser: annotations, parameters outside literals, hints, and errors with lines."""

from __future__ import annotations

import pytest

from sublimate.queries.described import outer_nullable, writes
from sublimate.queries.parse import QueryError, parse_file

FILE = """\
-- Reports over Chinook.

-- name: TopCustomers :many
-- param min_total: Decimal
-- column total: Decimal | None
SELECT c.customer_id, ':not_a_param' AS s, "odd:name", total::numeric /* :nor_this */
FROM customer c -- :nor_that
WHERE total >= :min_total AND :min_total > 0 AND body = $$ :dollar $$;

-- name: Rename :execrows
UPDATE genre SET name = :name WHERE genre_id = :id
"""


def test_queries_params_and_lines() -> None:
    top, rename = parse_file("queries/reports.sql", FILE)
    assert (top.name, top.command, top.line, top.first_line) == ("TopCustomers", "many", 3, 6)
    assert top.params == ("min_total",)  # once, though used twice; none from literals/comments
    assert top.sql.endswith("$$ :dollar $$")  # the trailing `;` is not part of the statement
    hint = top.param_hint("min_total")
    assert hint is not None and hint.type.annotation == "decimal.Decimal" and not hint.nullable
    column = top.column_hint("total")
    assert column is not None and column.nullable
    assert top.line_of(top.sql.index("WHERE")) == 8
    assert (rename.name, rename.command, rename.line, rename.params) == (
        "Rename",
        "execrows",
        10,
        ("name", "id"),
    )


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("SELECT 1\n-- name: A :many\nSELECT 2", 1, "SQL before the first"),
        ("-- name: A :all\nSELECT 1", 1, "unknown command :all"),
        ("-- name: 1st :many\nSELECT 1", 1, "query name '1st'"),
        ("-- name: A :many\nSELECT 1\n-- name: A :one\nSELECT 2", 3, "a second query named A"),
        ("-- name: A :many\nSELECT 1;\nSELECT 2", 2, "one statement per query"),  # at the `;`
        ("-- name: A :many\n-- param x: Money\nSELECT :x", 2, "unknown type 'Money'"),
        ("-- name: A :many\n-- param y: int\nSELECT :x", 2, "hint for :y, which the query"),
        ("-- name: A :many\nSELECT 'open\n", 2, "unterminated string"),
        ("-- name: A :many\n", 1, "no SQL after the annotation"),
        ("-- nothing here\n", 1, "no query"),
        ("-- name: A :many\n-- unique: id\nSELECT id FROM t", 2, "`-- unique: <column>, ...`"),
        ("-- name: A :many_after\n-- unique: ,\nSELECT id FROM t", 2, "names the result"),
    ],
)
def test_errors_name_the_file_and_line(text: str, line: int, words: str) -> None:
    with pytest.raises(QueryError) as raised:
        parse_file("queries/q.sql", text)
    assert raised.value.line == line
    assert str(raised.value).startswith(f"queries/q.sql:{line}: ")
    assert words in raised.value.message


def test_write_and_outer_join_rules() -> None:
    def parsed(sql: str) -> tuple[bool, frozenset[str] | None]:
        (query,) = parse_file("q.sql", f"-- name: Q :many\n{sql}")
        return writes(query.tokens), outer_nullable(query.tokens)

    assert parsed("SELECT 1 FROM a LEFT JOIN b ON true LEFT OUTER JOIN s.c ON true") == (
        False,
        frozenset({"b", "c"}),
    )
    assert parsed("SELECT 1 FROM a RIGHT JOIN b ON true") == (False, None)
    assert parsed("SELECT 1 FROM a LEFT JOIN (SELECT 1) x ON true") == (False, None)
    assert parsed("SELECT * FROM a FOR UPDATE") == (True, frozenset())
    assert parsed("WITH d AS (DELETE FROM a RETURNING id) SELECT id FROM d")[0] is True
    assert parsed("SELECT \"delete\", 'update' FROM a")[0] is False  # quoted: names, not verbs


def _clauses(sql: str) -> tuple[frozenset[str], tuple[str, ...] | str, str | None]:
    from sublimate.queries.clauses import ClauseError, counted_labels, final_order_by, only_table
    from sublimate.queries.lexer import tokens

    toks = tokens(sql)
    try:
        start, terms = final_order_by(toks, sql)
        order: tuple[str, ...] | str = tuple(
            f"{t.name or t.position}{' desc' if t.descending else ''}" for t in terms
        )
        assert sql[start:].upper().startswith("ORDER")
    except ClauseError as error:
        order = str(error)
    return counted_labels(toks, sql), order, only_table(toks)


def test_clauses_read_at_the_top_level_only() -> None:
    counted, order, table = _clauses(
        "SELECT a, count(*), COUNT(b) FILTER (WHERE b > 0) AS n, count(*) + 1 AS m,"
        " rank() OVER (ORDER BY x) AS r FROM t AS t1 WHERE (SELECT 1 ORDER BY y) = 1"
        ' ORDER BY t1.a DESC, 12, "Q""x" NULLS LAST;'
    )
    assert counted == {"count", "count(*)", "n"}  # not `count(*) + 1`
    assert order == ("a desc", "12", 'Q"x')
    assert table == "t"
    counted, order, table = _clauses(
        "SELECT count(*) AS n FROM t JOIN u ON u.id = t.id UNION SELECT NULL FROM v"
    )
    assert counted == frozenset() and table is None  # UNION: the other branch may be NULL
    assert str(order).startswith("a :many_after query ends with ORDER BY")
    _, order, table = _clauses("SELECT a FROM t, u ORDER BY a LIMIT 3")
    assert str(order).startswith("a :many_after query pages itself") and table is None
    assert _clauses("SELECT a FROM t ORDER BY lower(a)")[1].startswith("ORDER BY lower(a)")
    assert _clauses("WITH t AS (SELECT a FROM t JOIN u) SELECT a FROM t ORDER BY a")[2] is None
