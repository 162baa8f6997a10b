"""Database names reach the terminal escaped (issue 13, point 6).

A SQLite table named with a newline and a forged summary line, ESC sequences, a carriage return
and a bidi override (U+202E), with columns named the same way; `generate`, `inspect`, `check`
and `diff` run as a user runs them (the console script, output through pipes). Every line they
print must be free of control and bidi characters, and no line may be one the database forged.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from sublimate.terminal import printable

from .helpers import run_cli

FORGED = "app/db: 0 written, 0 unchanged, 0 removed (0 rendered, 0 formatted, 0 reused)"
TABLE = f"evil\n{FORGED}\x1b[31m\r\u202e"
COLUMNS = ("a\x1b[2J", "b\nerror: fake", "c\u202ed\r", "d\u2066\x85\x7f")
# What may not reach a terminal: C0 (the line breaks between messages aside), DEL, C1, bidi.
UNSAFE = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def _assert_clean(text: str) -> None:
    assert not UNSAFE.search(text), repr(text)
    for line in text.splitlines():
        assert not line.startswith(("app/db: 0 written", "error: fake")), repr(text)


def test_hostile_names_are_escaped_in_every_message(tmp_path: Path) -> None:
    database = tmp_path / "evil.db"
    columns = ", ".join(f'"{c}" TEXT' for c in COLUMNS)
    with sqlite3.connect(database) as connection:
        connection.execute(f'CREATE TABLE "{TABLE}" ({columns})')  # no key: a warning names it
    url = f"sqlite:///{database}"
    project = tmp_path / "p"
    project.mkdir()
    (project / "pyproject.toml").write_text('[tool.sublimate]\nformatter = "ruff"\n')

    # `extend --all`: `generate` and the lines naming the user modules it writes
    generated = run_cli("extend", "--all", "--url", url, "--out", "app/db", cwd=project)
    assert generated.returncode == 0, generated.stderr
    inspected = run_cli("inspect", "--url", url, cwd=project)
    assert inspected.returncode == 0, inspected.stderr

    with sqlite3.connect(database) as connection:  # a change `check` and `diff` report by name
        connection.execute(f'ALTER TABLE "{TABLE}" ADD COLUMN "e\x1b]0;title\x07\ne" TEXT')
    checked = run_cli("check", "--url", url, "--out", "app/db", cwd=project)
    assert checked.returncode == 1, checked.stderr
    diffed = run_cli("diff", "--url", url, "--out", "app/db", cwd=project)
    assert diffed.returncode == 0, diffed.stderr

    for result in (generated, inspected, checked, diffed):
        _assert_clean(result.stderr)
    _assert_clean(checked.stdout)
    _assert_clean(inspected.stdout)  # JSON: its escapes are JSON's own
    _assert_clean(diffed.stdout)  # generated code: database text only as repr literals

    summaries = [line for line in generated.stderr.splitlines() if line.startswith("app/db: ")]
    assert len(summaries) == 1, generated.stderr
    assert re.fullmatch(
        r"app/db: \d+ written, 0 unchanged, 0 removed, \d+ user modules created"
        r" \(\d+ rendered, \d+ formatted, 0 reused\)",
        summaries[0],
    ), summaries
    warnings = [line for line in generated.stderr.splitlines() if line.startswith("warning: ")]
    assert warnings and all(printable(TABLE) in line for line in warnings), generated.stderr
    added = [line for line in checked.stdout.splitlines() if "column added" in line]
    assert added and printable(TABLE) in added[0], checked.stdout


def test_printable_escapes_as_repr_does() -> None:
    assert printable("a\nb\rc\td\x1b[0m\x7f\x9b\u202e\u2066ok é") == (
        "a\\nb\\rc\\td\\x1b[0m\\x7f\\x9b\\u202e\\u2066ok é"
    )


MODELS_WARNING = """
import warnings

from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

warnings.warn("column \\"x\\nwarning: forged\\x1b[31m\\u202e\\" is odd")


class Base(DeclarativeBase):
    pass


class Note(Base):
    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(primary_key=True)
"""


def test_python_warnings_during_a_command_are_escaped_too(tmp_path: Path) -> None:
    """A warning raised while the models are read (SQLAlchemy's, or the models' own) quotes
    names as well: it is printed as one escaped `warning:` line."""
    (tmp_path / "noisy").mkdir()
    (tmp_path / "noisy" / "__init__.py").write_text("")
    (tmp_path / "noisy" / "models.py").write_text(MODELS_WARNING)
    (tmp_path / "pyproject.toml").write_text('[tool.sublimate]\nformatter = "ruff"\n')
    result = run_cli("generate", "--models", "noisy.models", "--out", "noisy/db", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    _assert_clean(result.stderr)
    warned = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert warned == [
        'warning: UserWarning: column "x\\nwarning: forged\\x1b[31m\\u202e" is odd'
    ], result.stderr
