"""A 300-table schema as declarative models, for the regeneration tests and `bench/regenerate.py`.

`make_big_schema.py` (beside this file, or $SUBLIMATE_BIG_SCHEMA) builds the schema as a SQLite
file; this module reflects that file with SQLAlchemy and writes it out as a declarative models
module (`__table__ = sa.Table(...)` per class), so the generator reads it through its models front
end. Tables without a primary key cannot be mapped and are left out; views too.

`change_column()` edits one column's type in the written module: the "one column changed" case.
"""

from __future__ import annotations

import keyword
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
MAKE_BIG_SCHEMA = Path(
    os.environ.get("SUBLIMATE_BIG_SCHEMA", ROOT / "bench" / "make_big_schema.py")
)


def build_sqlite(target: Path, tables: int = 300) -> Path:
    """Run make_big_schema.py: a deterministic SQLite file with `tables` tables."""
    subprocess.run(
        [sys.executable, str(MAKE_BIG_SCHEMA), "-n", str(tables), "-o", str(target)],
        check=True,
        capture_output=True,
        text=True,
    )
    return target


def _class_name(table: str, taken: set[str]) -> str:
    words = [w for w in re.split(r"[^0-9a-zA-Z]+", table) if w]
    name = "".join(w[:1].upper() + w[1:] for w in words) or "Table"
    if name[0].isdigit():
        name = f"T{name}"
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}{n}"
    taken.add(candidate)
    return candidate


def _type(column: sa.Column[object]) -> str:
    return f"sa.{column.type!r}"


def _key(name: str) -> str | None:
    """An attribute name for a column whose name cannot be one (`1st_value`, `class`)."""
    if name.isidentifier() and not keyword.iskeyword(name) and name != "metadata":
        return None
    key = re.sub(r"[^0-9a-zA-Z_]+", "_", name).strip("_")
    return f"col_{key}" if key[:1].isdigit() or keyword.iskeyword(key) else f"{key}_"


def models_source(db_path: Path) -> str:
    """A declarative models module for every table with a primary key in the SQLite file."""
    metadata = sa.MetaData()
    engine = sa.create_engine(f"sqlite:///{db_path}")
    try:
        metadata.reflect(engine, views=False)
    finally:
        engine.dispose()
    mapped = {t.name for t in metadata.sorted_tables if t.primary_key.columns}
    lines = [
        '"""Tables reflected from make_big_schema.py\'s SQLite file (bench/big_schema.py)."""',
        "",
        "from __future__ import annotations",
        "",
        "import sqlalchemy as sa",
        "from sqlalchemy.orm import DeclarativeBase",
        "",
        "",
        "class Base(DeclarativeBase):",
        "    pass",
    ]
    taken: set[str] = {"Base"}
    for table in metadata.sorted_tables:
        if table.name not in mapped:
            continue
        lines += ["", "", f"class {_class_name(table.name, taken)}(Base):"]
        lines.append(f"    __table__ = sa.Table({table.name!r}, Base.metadata,")
        for column in table.columns:
            args = [repr(column.name), _type(column)]
            if (key := _key(column.name)) is not None:
                args.append(f"key={key!r}")
            if column.primary_key:
                args.append("primary_key=True")
                if len(table.primary_key.columns) > 1:
                    args.append("autoincrement=False")
            elif not column.nullable:
                args.append("nullable=False")
            default = column.server_default
            if isinstance(default, sa.DefaultClause) and isinstance(default.arg, sa.TextClause):
                args.append(f"server_default=sa.text({default.arg.text!r})")
            lines.append(f"        sa.Column({', '.join(args)}),")
        for fk in sorted(table.foreign_key_constraints, key=_fk_order):
            target = fk.elements[0].column.table.name
            if target not in mapped:
                continue
            local = [_key(e.parent.name) or e.parent.name for e in fk.elements]
            remote = [f"{target}.{e.column.name}" for e in fk.elements]
            ondelete = f", ondelete={fk.ondelete!r}" if fk.ondelete else ""
            lines.append(f"        sa.ForeignKeyConstraint({local!r}, {remote!r}{ondelete}),")
        uniques = [c for c in table.constraints if isinstance(c, sa.UniqueConstraint)]
        for constraint in sorted(uniques, key=lambda c: [col.name for col in c.columns]):
            names = ", ".join(repr(_key(c.name) or c.name) for c in constraint.columns)
            lines.append(f"        sa.UniqueConstraint({names}),")
        for index in sorted(table.indexes, key=lambda i: str(i.name)):
            names = ", ".join(repr(_key(c.name) or c.name) for c in index.columns)
            flag = ", unique=True" if index.unique else ""
            lines.append(f"        sa.Index({index.name!r}, {names}{flag}),")
        lines.append("    )")
    return "\n".join(lines) + "\n"


def write_models(db_path: Path, target: Path) -> Path:
    target.write_text(models_source(db_path), encoding="utf-8")
    return target


def _fk_order(constraint: sa.ForeignKeyConstraint) -> list[str]:
    return [element.parent.name for element in constraint.elements]


def change_column(
    models: Path, old: str = "VARCHAR(length=50)", new: str = "VARCHAR(length=80)"
) -> str:
    """Change the type of the first column declared as `old`; returns that column's line."""
    text = models.read_text(encoding="utf-8")
    lines = text.split("\n")
    for number, line in enumerate(lines):
        if f"sa.{old}" in line and "sa.Column(" in line:
            lines[number] = line.replace(f"sa.{old}", f"sa.{new}", 1)
            models.write_text("\n".join(lines), encoding="utf-8")
            return lines[number].strip()
    raise LookupError(f"no column of type {old} in {models}")


def add_column(database: Path, table: str = "class", column: str = "nickname") -> str:
    """Add a nullable VARCHAR(40) column to a table of the SQLite file; returns the statement."""
    statement = f'ALTER TABLE "{table}" ADD COLUMN "{column}" VARCHAR(40)'
    connection = sqlite3.connect(database)
    try:
        connection.execute(statement)
        connection.commit()
    finally:
        connection.close()
    return statement
