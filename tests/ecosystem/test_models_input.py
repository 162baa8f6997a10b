"""SQLModel and Advanced Alchemy models as input: they generate, lint, and run.

Each project is generated in-process into a tmp directory; the generated services are then used on
SQLite and PostgreSQL (tables made with the models' MetaData). Advanced Alchemy's `JsonB` type is
left out: Advanced Alchemy 1.12 fails on SQLAlchemy 2.1 with it.
"""

from __future__ import annotations

import datetime
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from .support import VENV_BIN, lint, make_project, on_path, run

RUFF = """
[tool.ruff]
line-length = 100
target-version = "py311"
src = ["."]

[tool.ruff.lint]
select = ["E", "F", "I", "UP", "B", "SIM", "RUF"]
"""

# No `from __future__ import annotations`: SQLModel cannot resolve relationship annotations then.
SQLMODEL = """
    import datetime
    import uuid

    from sqlmodel import Field, Relationship, SQLModel


    class Team(SQLModel, table=True):
        id: int | None = Field(default=None, primary_key=True)
        name: str = Field(max_length=60, unique=True, index=True)
        headquarters: str | None = None
        heroes: list["Hero"] = Relationship(back_populates="team")


    class Hero(SQLModel, table=True):
        id: int | None = Field(default=None, primary_key=True)
        name: str = Field(max_length=80, index=True)
        secret_name: str
        age: int | None = None
        token: uuid.UUID = Field(default_factory=uuid.uuid4, unique=True)
        seen: datetime.datetime | None = None
        team_id: int | None = Field(default=None, foreign_key="team.id")
        team: Team | None = Relationship(back_populates="heroes")
"""

ADVANCED_ALCHEMY = """
    from __future__ import annotations

    import datetime
    import uuid

    from advanced_alchemy.base import BigIntAuditBase, UUIDAuditBase, UUIDBase
    from advanced_alchemy.types import GUID, DateTimeUTC
    from sqlalchemy import ForeignKey, String
    from sqlalchemy.orm import Mapped, mapped_column


    class Author(UUIDAuditBase):
        __tablename__ = "author"
        name: Mapped[str] = mapped_column(String(100), unique=True)
        born: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC(timezone=True))


    class Book(BigIntAuditBase):
        __tablename__ = "book"
        title: Mapped[str] = mapped_column(String(200))
        author_id: Mapped[uuid.UUID] = mapped_column(GUID, ForeignKey("author.id"))


    class Label(UUIDBase):
        __tablename__ = "label"
        text: Mapped[str] = mapped_column(String(40), unique=True)
"""

PROJECTS = {"smapp": SQLMODEL, "aaapp": ADVANCED_ALCHEMY}


def generated(tmp_path: Path, package: str) -> Iterator[Path]:
    root = make_project(tmp_path / package, package, PROJECTS[package], extra=RUFF)
    with on_path(root, package):
        result = run("generate", project=root)
        assert result.exit_code == 0, result.output
        yield root


# Module scope: SQLModel keeps one process-wide MetaData, so its models import once per process.
@pytest.fixture(scope="module")
def sqlmodel_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield from generated(tmp_path_factory.mktemp("sqlmodel"), "smapp")


@pytest.fixture(scope="module")
def aa_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield from generated(tmp_path_factory.mktemp("aa"), "aaapp")


def engine_for(database: Any) -> sa.Engine:
    return sa.create_engine(database.url, connect_args=database.connect_args)


def test_advanced_alchemy_output_passes_mypy_strict_and_ruff(
    aa_project: Path, mypy_cache: Path
) -> None:
    lint(aa_project, mypy_cache)


def test_sqlmodel_output_passes_mypy_strict_and_ruff(
    sqlmodel_project: Path, mypy_cache: Path
) -> None:
    lint(sqlmodel_project, mypy_cache)


def test_sqlmodel_output_passes_ruff(sqlmodel_project: Path) -> None:
    ruff = subprocess.run(
        [VENV_BIN / "ruff", "check", "--no-cache", "."],
        cwd=sqlmodel_project,
        capture_output=True,
        text=True,
    )
    assert ruff.returncode == 0, ruff.stdout


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_sqlmodel_services(backend: str, scratch_database: Any, sqlmodel_project: Path) -> None:
    from smapp import db, models  # type: ignore[import-not-found]
    from sublimate_runtime import ConflictError, NotFoundError, TextFilter

    engine = engine_for(scratch_database(backend, schema=True))
    models.SQLModel.metadata.create_all(engine)
    try:
        with Session(engine) as session:
            teams = db.TeamService(session, auto_commit=True)
            heroes = db.HeroService(session, auto_commit=True)
            avengers = teams.create(db.TeamCreate(name="Avengers", headquarters="NYC"))
            assert isinstance(avengers.id, int)
            tony = heroes.create(
                db.HeroCreate(name="Iron Man", secret_name="Tony", team_id=avengers.id)
            )
            assert isinstance(tony.token, uuid.UUID)  # the model's default_factory ran
            heroes.create(db.HeroCreate(name="Hulk", secret_name="Bruce", age=49))

            page = heroes.list(db.HeroFilter(name=TextFilter(startswith="Iron")))
            assert [hero.secret_name for hero in page.items] == ["Tony"] and page.total == 1

            updated = heroes.update(tony.id, db.HeroUpdate(age=53))
            assert (updated.age, updated.name) == (53, "Iron Man")

            with pytest.raises(ConflictError) as conflict:
                teams.create(db.TeamCreate(name="Avengers"))
            assert conflict.value.columns == ("name",)
            same = teams.upsert(db.TeamCreate(name="Avengers", headquarters="Upstate"), on="name")
            assert (same.id, same.headquarters) == (avengers.id, "Upstate")
            assert teams.count() == 1

            heroes.delete(tony.id)
            with pytest.raises(NotFoundError):
                heroes.get(tony.id)
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_advanced_alchemy_services(backend: str, scratch_database: Any, aa_project: Path) -> None:
    from aaapp import db, models  # type: ignore[import-not-found]
    from sublimate_runtime import ConflictError, NotFoundError

    engine = engine_for(scratch_database(backend, schema=True))
    models.Author.metadata.create_all(engine)
    try:
        with Session(engine) as session:
            authors = db.AuthorService(session, auto_commit=True)
            books = db.BookService(session, auto_commit=True)
            labels = db.LabelService(session, auto_commit=True)
            born = datetime.datetime(1929, 10, 21, 12, tzinfo=datetime.UTC)
            ursula = authors.create(db.AuthorCreate(name="Ursula K. Le Guin", born=born))
            assert isinstance(ursula.id, uuid.UUID)  # UUIDBase's Python-side default
            assert ursula.created_at.tzinfo is not None  # UUIDAuditBase's DateTimeUTC columns
            assert authors.get(ursula.id).born == born

            book = books.create(db.BookCreate(title="The Dispossessed", author_id=ursula.id))
            assert isinstance(book.id, int)  # BigIntAuditBase's key
            renamed = books.update(book.id, db.BookUpdate(title="The Lathe of Heaven"))
            assert renamed.title == "The Lathe of Heaven"

            with pytest.raises(ConflictError) as conflict:
                authors.create(db.AuthorCreate(name="Ursula K. Le Guin"))
            assert conflict.value.columns == ("name",)

            first = labels.upsert(db.LabelCreate(text="sf"), on="text")
            again = labels.upsert(db.LabelCreate(text="sf"), on="text")
            assert first.id == again.id and labels.count() == 1

            books.delete(book.id)
            with pytest.raises(NotFoundError):
                books.get(book.id)
    finally:
        engine.dispose()
