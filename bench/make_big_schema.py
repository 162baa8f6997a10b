#!/usr/bin/env python3
# Copied from the project's shared benchmark folder (shared/bench/make_big_schema.py) so that a
# clone runs its own tests and benchmarks (tests/regeneration, bench/); `--dialect mysql` (MariaDB)
# added here. The SQLite and PostgreSQL output is byte for byte the shared script's.
"""Build a large synthetic schema for benchmarking database introspection / code generation.

Default: writes a SQLite database file with N tables (default 300) to /tmp/x.db.

The schema is deterministic (seeded RNG) and deliberately varied:
  * ~90% "entity" tables with a surrogate INTEGER PK, 3-15 data columns of mixed types
    (INTEGER, BIGINT, VARCHAR(n), TEXT, BOOLEAN, NUMERIC(p,s), REAL, DATE, TIMESTAMP, BLOB),
    random NOT NULL, DEFAULTs, UNIQUE columns, CHECK (col IN (...)) "synthetic enums",
    CHECK (flag IN (0, 1)) "booleans", single and multi-column indexes, a unique index
  * 0-3 foreign keys per table to *earlier* tables (so the FK graph is a DAG), some nullable,
    some NOT NULL, some ON DELETE CASCADE, and ~10% self-referencing parent_id columns
  * several tables with two FKs to the same parent (forces foreign_keys=/disambiguated names)
  * ~5% pure association tables (two FKs, composite PK, no other columns -> many-to-many)
  * ~3% association tables with an extra payload column (association-object pattern)
  * ~2% tables with a composite natural PK, plus a child table with a composite FK to it
  * ~2% tables without any primary key
  * a handful of views
  * table/column names that need escaping: reserved words (class, from, order),
    names with spaces / dashes / leading digits, and a column named "metadata"

Usage:
  python3 make_big_sqlite.py                     # /tmp/x.db, 300 tables
  python3 make_big_sqlite.py -n 1000 -o /tmp/big.db
  python3 make_big_sqlite.py --sql-out schema.sql --dialect postgresql   # DDL only, for psql
  python3 make_big_sqlite.py --sql-out schema.sql --dialect mysql        # DDL only, for MariaDB

The three dialects get the same tables, columns, keys and checks (one seeded RNG). MariaDB's DDL
differs where MariaDB has to: backtick quoting, AUTO_INCREMENT keys, DOUBLE for REAL, indexes on a
TEXT/BLOB column by a 100-character prefix (MariaDB indexes no full TEXT/BLOB), and index names
past MariaDB's 64-character limit cut to 60 (PostgreSQL truncates them to 63 itself). No awkward
case is dropped: reserved words, spaces, dashes and leading digits are legal in backticks.

Only the Python standard library is used.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import sys

WORDS = (
    "account address agent asset audit batch bill booking branch budget campaign card cart "
    "category channel claim client comment company contract country coupon course currency "
    "customer delivery department device discount document driver employee event expense "
    "feature file grade group invoice item job journal lead ledger license location log "
    "member message meter module note offer order owner package partner payment permission "
    "plan policy post price product profile project promotion queue quote rate receipt "
    "region report request resource review role route rule sale schedule season seat "
    "segment session shipment shop skill slot source stage station status stock store "
    "subscription supplier survey tag task tax team template tenant ticket token track "
    "transfer trip unit user vehicle vendor venue visit voucher wallet warehouse zone"
).split()

ODD_TABLE_NAMES = ["class", "order", "from", "user group", "2fa-codes", "select", "Metadata"]


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def q_mysql(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


MYSQL_NAME_LIMIT = 64  # MariaDB refuses longer identifiers (PostgreSQL truncates them to 63)


class Builder:
    def __init__(self, n_tables: int, seed: int, dialect: str) -> None:
        self.n = n_tables
        self.rng = random.Random(seed)
        self.dialect = dialect
        self.statements: list[str] = []
        self.entity_tables: list[str] = []  # tables with single INTEGER "id" PK
        self.composite_pk_tables: list[str] = []
        self.used_names: set[str] = set()
        self.q = q_mysql if dialect == "mysql" else q
        self.index_names: set[str] = set()

    # -- type helpers -------------------------------------------------------------
    def t(self, generic: str) -> str:
        if self.dialect == "postgresql":
            return {
                "BLOB": "BYTEA",
                "REAL": "DOUBLE PRECISION",
                "TIMESTAMP": "TIMESTAMP",
                "BOOLEAN": "BOOLEAN",
            }.get(generic, generic)
        if self.dialect == "mysql":
            return {"REAL": "DOUBLE"}.get(generic, generic)
        return generic

    def pk_col(self) -> str:
        if self.dialect == "postgresql":
            return "id SERIAL PRIMARY KEY"
        if self.dialect == "mysql":
            return "id INTEGER AUTO_INCREMENT PRIMARY KEY"
        return "id INTEGER PRIMARY KEY"

    def index(self, name: str, table: str, columns: list[tuple[str, str]]) -> str:
        """CREATE INDEX on (column, type) pairs. MariaDB: a TEXT/BLOB column is indexed by a
        prefix (it has no full-length index) and a name past 64 characters is shortened."""
        q = self.q
        if self.dialect == "mysql":
            if len(name) > MYSQL_NAME_LIMIT:
                name = name[: MYSQL_NAME_LIMIT - 4]
            stem, k = name, 1
            while name.lower() in self.index_names:
                k += 1
                name = f"{stem}_{k}"
            self.index_names.add(name.lower())
        parts = [
            f"{q(c)}(100)" if self.dialect == "mysql" and typ in ("TEXT", "BLOB") else q(c)
            for c, typ in columns
        ]
        return f"CREATE INDEX {q(name)} ON {q(table)} ({', '.join(parts)})"

    def new_name(self, i: int) -> str:
        # Mostly word_word plural-ish names, a few odd ones
        if i < len(ODD_TABLE_NAMES) and self.rng.random() < 0.6:
            base = ODD_TABLE_NAMES[i]
        else:
            base = f"{self.rng.choice(WORDS)}_{self.rng.choice(WORDS)}s"
        name = base
        k = 1
        while name.lower() in self.used_names:
            k += 1
            name = f"{base}_{k}"
        self.used_names.add(name.lower())
        return name

    def data_columns(self, table: str) -> tuple[list[str], list[str], list[str]]:
        q = self.q
        cols: list[str] = []
        typed: list[tuple[str, str]] = []  # (name, type) of each entry of cols
        constraints: list[str] = []
        indexes: list[str] = []
        used = {"id"}
        ncols = self.rng.randint(3, 15)
        for c in range(ncols):
            kind = self.rng.choice(
                ["int", "bigint", "varchar", "text", "bool", "numeric", "real", "date",
                 "timestamp", "blob", "enum", "flag"]
            )
            cname = f"{self.rng.choice(WORDS)}_{kind}"
            if cname in used:
                cname = f"{cname}_{c}"
            used.add(cname)
            notnull = self.rng.random() < 0.35
            default = ""
            if kind == "int":
                typ = "INTEGER"
                if self.rng.random() < 0.2:
                    default = " DEFAULT 0"
            elif kind == "bigint":
                typ = "BIGINT"
            elif kind == "varchar":
                typ = f"VARCHAR({self.rng.choice([20, 50, 100, 255])})"
                if self.rng.random() < 0.15:
                    default = " DEFAULT 'n/a'"
            elif kind == "text":
                typ = "TEXT"
            elif kind == "bool":
                typ = self.t("BOOLEAN")
                if self.rng.random() < 0.5:
                    default = " DEFAULT " + ("0" if self.dialect == "sqlite" else "false")
            elif kind == "numeric":
                typ = f"NUMERIC({self.rng.choice([10, 12, 18])}, {self.rng.choice([0, 2, 4])})"
            elif kind == "real":
                typ = self.t("REAL")
            elif kind == "date":
                typ = "DATE"
            elif kind == "timestamp":
                typ = self.t("TIMESTAMP")
                if self.rng.random() < 0.4:
                    default = " DEFAULT CURRENT_TIMESTAMP"
            elif kind == "blob":
                typ = self.t("BLOB")
            elif kind == "enum":
                typ = "VARCHAR(20)"
                values = self.rng.sample(["new", "open", "closed", "pending", "done", "void"], 3)
                constraints.append(
                    f"CHECK ({q(cname)} IN (" + ", ".join(f"'{v}'" for v in values) + "))"
                )
            else:  # flag -> integer with IN (0, 1) check (boolean detection)
                typ = "INTEGER"
                constraints.append(f"CHECK ({q(cname)} IN (0, 1))")
            unique = " UNIQUE" if (kind in ("varchar", "bigint") and self.rng.random() < 0.1) else ""
            cols.append(f"{q(cname)} {typ}{' NOT NULL' if notnull else ''}{default}{unique}")
            typed.append((cname, typ))
            if self.rng.random() < 0.12:
                indexes.append(self.index(f"ix_{table}_{cname}", table, [(cname, typ)]))
        # odd column names on some tables
        for odd, typ in (("metadata", "TEXT"), ("my column", "TEXT"), ("1st_value", "INTEGER"),
                         ("class", "TEXT")):
            if self.rng.random() < 0.05:
                cols.append(f"{q(odd)} {typ}")
                typed.append((odd, typ))
        if len(cols) >= 2 and self.rng.random() < 0.1:
            pair = self.rng.sample(typed, 2)
            indexes.append(self.index(f"ix_{table}_multi", table, pair))
        return cols, constraints, indexes

    # -- table kinds ----------------------------------------------------------------
    def entity_table(self, i: int) -> None:
        q = self.q
        name = self.new_name(i)
        cols = [self.pk_col()]
        fks: list[str] = []
        data, checks, indexes = self.data_columns(name)
        # foreign keys to earlier tables (DAG)
        if self.entity_tables:
            nfk = self.rng.choice([0, 1, 1, 2, 2, 3])
            targets = [self.rng.choice(self.entity_tables) for _ in range(nfk)]
            # sometimes two FKs to the same parent (e.g. created_by / updated_by)
            if targets and self.rng.random() < 0.15:
                targets.append(targets[0])
            seen: dict[str, int] = {}
            for tgt in targets:
                seen[tgt] = seen.get(tgt, 0) + 1
                stem = tgt.replace(" ", "_").replace("-", "_").lower().rstrip("s")
                col = f"{stem}_id" if seen[tgt] == 1 else f"{stem}_{seen[tgt]}_id"
                notnull = " NOT NULL" if self.rng.random() < 0.4 else ""
                cols.append(f"{q(col)} INTEGER{notnull}")
                ondelete = " ON DELETE CASCADE" if self.rng.random() < 0.3 else ""
                fks.append(f"FOREIGN KEY ({q(col)}) REFERENCES {q(tgt)} (id){ondelete}")
                if self.rng.random() < 0.5:
                    indexes.append(self.index(f"ix_{name}_{col}", name, [(col, "INTEGER")]))
        # self reference
        if self.rng.random() < 0.1:
            cols.append(f"{q('parent_id')} INTEGER")
            fks.append(f"FOREIGN KEY ({q('parent_id')}) REFERENCES {q(name)} (id)")
        body = ",\n  ".join(cols + data + checks + fks)
        self.statements.append(f"CREATE TABLE {q(name)} (\n  {body}\n)")
        self.statements.extend(indexes)
        self.entity_tables.append(name)

    def association_table(self, i: int, payload: bool) -> None:
        q = self.q
        a, b = self.rng.sample(self.entity_tables, 2)
        name = self.new_name(i)
        sa = a.replace(" ", "_").replace("-", "_").lower().rstrip("s")
        sb = b.replace(" ", "_").replace("-", "_").lower().rstrip("s")
        if sa == sb:
            sb += "_2"
        ka, kb = q(f"{sa}_id"), q(f"{sb}_id")
        cols = [f"{ka} INTEGER NOT NULL", f"{kb} INTEGER NOT NULL"]
        if payload:
            cols.append(f'{q("created_at")} {self.t("TIMESTAMP")} DEFAULT CURRENT_TIMESTAMP')
            cols.append(f'{q("position")} INTEGER')
        cols.append(f"PRIMARY KEY ({ka}, {kb})")
        cols.append(f"FOREIGN KEY ({ka}) REFERENCES {q(a)} (id) ON DELETE CASCADE")
        cols.append(f"FOREIGN KEY ({kb}) REFERENCES {q(b)} (id) ON DELETE CASCADE")
        self.statements.append(f"CREATE TABLE {q(name)} (\n  " + ",\n  ".join(cols) + "\n)")

    def composite_pk_pair(self, i: int) -> None:
        q = self.q
        name = self.new_name(i)
        self.statements.append(
            f"CREATE TABLE {q(name)} (\n  region_code VARCHAR(8) NOT NULL,\n  seq INTEGER NOT NULL,\n"
            f"  label TEXT,\n  PRIMARY KEY (region_code, seq)\n)"
        )
        child = self.new_name(i + 10_000)
        self.statements.append(
            f"CREATE TABLE {q(child)} (\n  {self.pk_col()},\n  parent_region VARCHAR(8),\n"
            f"  parent_seq INTEGER,\n  note TEXT,\n"
            f"  FOREIGN KEY (parent_region, parent_seq) REFERENCES {q(name)} (region_code, seq)\n)"
        )
        self.composite_pk_tables.append(name)

    def no_pk_table(self, i: int) -> None:
        q = self.q
        name = self.new_name(i)
        data, checks, _ = self.data_columns(name)
        self.statements.append(f"CREATE TABLE {q(name)} (\n  " + ",\n  ".join(data + checks) + "\n)")

    def build(self) -> list[str]:
        i = 0
        created = 0
        while created < self.n:
            r = self.rng.random()
            if len(self.entity_tables) >= 5 and r < 0.05:
                self.association_table(i, payload=False)
                created += 1
            elif len(self.entity_tables) >= 5 and r < 0.08:
                self.association_table(i, payload=True)
                created += 1
            elif r < 0.09 and created + 2 <= self.n:
                self.composite_pk_pair(i)
                created += 2
            elif r < 0.11:
                self.no_pk_table(i)
                created += 1
            else:
                self.entity_table(i)
                created += 1
            i += 1
        # a few views (not counted as tables)
        for v in range(min(5, len(self.entity_tables))):
            src = self.entity_tables[v * 7 % len(self.entity_tables)]
            view = self.q(f"v_{v}_summary")
            self.statements.append(f"CREATE VIEW {view} AS SELECT id FROM {self.q(src)}")
        return self.statements


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--tables", type=int, default=300, help="number of tables (default 300)")
    ap.add_argument("-o", "--output", default="/tmp/x.db", help="SQLite file to (re)create")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--dialect", choices=["sqlite", "postgresql", "mysql"], default="sqlite",
                    help="mysql: MariaDB (10.11) DDL")
    ap.add_argument("--sql-out", help="write the DDL script here instead of creating a SQLite file")
    args = ap.parse_args()

    stmts = Builder(args.tables, args.seed, args.dialect).build()
    script = ";\n\n".join(stmts) + ";\n"
    if args.sql_out:
        with open(args.sql_out, "w", encoding="utf-8") as fh:
            fh.write(script)
        print(f"wrote {len(stmts)} statements to {args.sql_out}")
        return 0
    if args.dialect != "sqlite":
        ap.error(f"--dialect {args.dialect} requires --sql-out")
    if os.path.exists(args.output):
        os.remove(args.output)
    con = sqlite3.connect(args.output)
    con.execute("PRAGMA foreign_keys = ON")
    con.executescript(script)
    con.commit()
    ntab = con.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0]
    nview = con.execute("SELECT count(*) FROM sqlite_master WHERE type='view'").fetchone()[0]
    nidx = con.execute("SELECT count(*) FROM sqlite_master WHERE type='index' AND sql IS NOT NULL").fetchone()[0]
    nfk = sum(
        len(con.execute(f"PRAGMA foreign_key_list({q(t)})").fetchall())
        for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
    )
    ncol = sum(
        len(con.execute(f"PRAGMA table_info({q(t)})").fetchall())
        for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
    )
    con.close()
    print(f"{args.output}: {ntab} tables, {nview} views, {ncol} columns, {nfk} foreign keys, {nidx} explicit indexes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
