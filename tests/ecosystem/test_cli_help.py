"""Every command's --help shows an example; shell completion is offered; errors are one line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from typer.main import get_command
from typer.testing import CliRunner

from sublimate.cli import app


def commands() -> list[list[str]]:
    root = get_command(app)
    assert isinstance(root, typer.core.TyperGroup)
    found: list[list[str]] = []
    for name, command in root.commands.items():
        if isinstance(command, typer.core.TyperGroup):
            found.extend([name, sub] for sub in command.commands)
        else:
            found.append([name])
    return found


def test_every_command_has_an_example() -> None:
    names = commands()
    assert ["db", "upgrade"] in names and ["generate"] in names
    for words in names:
        result = CliRunner().invoke(app, [*words, "--help"])
        assert result.exit_code == 0, words
        assert f"Example: sublimate {' '.join(words)}" in result.stdout, words


def test_completion_is_offered() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert "--install-completion" in result.stdout
    assert "--show-completion" in result.stdout


def test_errors_are_one_line_and_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["generate", "--models", "no_such_module_xyz", "--project", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    result = CliRunner().invoke(app, ["db", "current", "--project", str(tmp_path)], env={})
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")


HINT_MODELS = """
    from sqlalchemy import String
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class Note(Base):
        __tablename__ = "notes"

        id: Mapped[int] = mapped_column(primary_key=True)
        text: Mapped[str] = mapped_column(String(200))
"""


def test_a_big_black_run_suggests_ruff(tmp_path: Path, monkeypatch: Any) -> None:
    """Past a number of files black formatted (300; 1 here), `generate` suggests ruff, once."""
    from sublimate import cli

    from .support import make_project, on_path, run

    monkeypatch.setattr(cli, "_RUFF_HINT", 1)
    black = make_project(tmp_path / "black", "hintblack", HINT_MODELS)
    with on_path(black, "hintblack"):
        result = run("generate", project=black)
    assert result.exit_code == 0, result.output
    hints = [line for line in result.stderr.splitlines() if line.startswith("hint:")]
    assert len(hints) == 1
    assert 'files went through black; formatter = "ruff" in [tool.sublimate]' in hints[0]

    ruff = make_project(tmp_path / "ruff", "hintruff", HINT_MODELS, extra='formatter = "ruff"\n')
    with on_path(ruff, "hintruff"):
        result = run("generate", project=ruff)
    assert result.exit_code == 0, result.output
    assert "hint:" not in result.stderr
