"""Every command's --help shows an example; shell completion is offered; errors are one line."""

from __future__ import annotations

from pathlib import Path

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
