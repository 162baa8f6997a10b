"""Autogenerate on a project generated from models manages the models' tables only: a table of
the database that no model describes is not dropped, and a model of a view
(`info={"is_view": True}`) is not created as a table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from .support import make_project, on_path, run

PACKAGE = "ownapp"
MODELS = """
    import sqlalchemy as sa
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class Note(Base):
        __tablename__ = "notes"
        id: Mapped[int] = mapped_column(primary_key=True)
        body: Mapped[str] = mapped_column(sa.String(200))


    class NoteLength(Base):
        __tablename__ = "note_lengths"
        __table_args__ = {"info": {"is_view": True}}
        id: Mapped[int] = mapped_column(primary_key=True)
        length: Mapped[int]
"""


def test_models_input_autogenerate_creates_only_what_it_owns(
    scratch_database: Any, tmp_path: Path
) -> None:
    url = scratch_database("sqlite").url.render_as_string()
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE legacy (id INTEGER PRIMARY KEY, v TEXT)"))
        connection.execute(sa.text("INSERT INTO legacy (v) VALUES ('a'), ('b')"))
    root = make_project(tmp_path / "project", PACKAGE, MODELS)
    with on_path(root, PACKAGE):
        assert run("generate", project=root).exit_code == 0
        result = run("db", "revision", "-m", "init", "--autogenerate", "--url", url, project=root)
        assert result.exit_code == 0, result.output
        (script,) = (root / PACKAGE / "db" / "migrations" / "versions").glob("*.py")
        text = script.read_text()
        assert "op.create_table('notes'" in text
        assert "note_lengths" not in text and "legacy" not in text
        assert run("db", "upgrade", "--url", url, project=root).exit_code == 0
        assert run("db", "check", "--url", url, project=root).exit_code == 0
    with engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT count(*) FROM legacy")) == 2
    engine.dispose()
