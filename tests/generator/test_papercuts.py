"""Papercuts a new user met (issue 13, points 15 and 16), one test each, through the real
console script: `init` then `generate`, `--url` over a configured `models`, `check` after a hand
edit, `--help` showing `[tool.sublimate]`, `upsert`'s default key when a unique key is added,
and `sublimate db` without Alembic installed.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from typer.testing import CliRunner

from sublimate.cli import app

from .helpers import SUBLIMATE, run_cli


def _sqlite(path: Path, *statements: str) -> str:
    """A SQLite file with `statements` run, and beside it a pyproject using ruff (fast)."""
    with sqlite3.connect(path) as connection:
        for statement in statements:
            connection.execute(statement)
    pyproject = path.parent / "pyproject.toml"
    if not pyproject.exists():
        pyproject.write_text('[tool.sublimate]\nformatter = "ruff"\n')
    return f"sqlite:///{path}"


def test_init_then_generate_does_not_import_a_made_up_module(tmp_path: Path) -> None:
    assert run_cli("init", cwd=tmp_path).returncode == 0
    result = run_cli("generate", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: nothing to read"), result.stderr
    assert "shop" not in result.stderr  # not "cannot import shop.models"


def test_url_on_the_command_line_overrides_the_configured_models(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.sublimate]\nmodels = "shop.models"\nout = "shop/db"\nformatter = "ruff"\n'
    )
    url = _sqlite(tmp_path / "app.db", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    result = run_cli("generate", "--url", url, "--out", "app/db", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "app" / "db" / "models" / "note.py").is_file()
    assert not (tmp_path / "shop").exists()


def test_check_after_a_hand_edit_names_the_command_that_works(tmp_path: Path) -> None:
    url = _sqlite(tmp_path / "app.db", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    assert run_cli("generate", "--url", url, "--out", "app/db", cwd=tmp_path).returncode == 0
    dto = tmp_path / "app" / "db" / "dtos" / "note.py"
    dto.write_text(dto.read_text() + "\nEXTRA = 1\n")

    checked = run_cli("check", "--url", url, "--out", "app/db", cwd=tmp_path)
    assert checked.returncode == 1
    last = checked.stdout.splitlines()[-1]
    assert "sublimate generate --force" in last and "custom/" in last, checked.stdout
    assert run_cli("generate", "--url", url, "--out", "app/db", cwd=tmp_path).returncode == 1
    forced = run_cli("generate", "--force", "--url", url, "--out", "app/db", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert "EXTRA" not in dto.read_text()


def test_help_shows_the_config_table_name() -> None:
    for words in ([], ["init"]):
        result = CliRunner().invoke(app, [*words, "--help"])
        assert result.exit_code == 0
        assert "Add a commented [tool.sublimate] section" in " ".join(result.stdout.split())


def _on_default(module: Path, cls: str) -> str | None:
    """The default of `on` in `cls.upsert` of a generated module, as Python sees it: printed in
    the module or inherited from the runtime's base (which carries the usual signatures); None
    when `on` has no default."""
    project = module.parents[3]
    name = ".".join(module.relative_to(project).with_suffix("").parts)
    script = (
        f"import inspect, {name} as m\n"
        f"d = inspect.signature(m.{cls}.upsert).parameters['on'].default\n"
        "print('<none>' if d is inspect.Parameter.empty else d)"
    )
    found = subprocess.run(
        [sys.executable, "-c", script], cwd=project, capture_output=True, text=True, timeout=120
    )
    assert found.returncode == 0, found.stderr
    default = found.stdout.strip()
    return None if default == "<none>" else default


def _upsert_default(repository: Path) -> str | None:
    return _on_default(repository, "TagRepository")


def test_adding_a_unique_key_keeps_the_upsert_default(tmp_path: Path) -> None:
    url = _sqlite(tmp_path / "app.db", "CREATE TABLE tags (id INTEGER PRIMARY KEY, slug TEXT)")
    repository = tmp_path / "app" / "db" / "repositories" / "tag.py"
    assert run_cli("generate", "--url", url, "--out", "app/db", cwd=tmp_path).returncode == 0
    assert _upsert_default(repository) == "id"

    _sqlite(tmp_path / "app.db", "CREATE UNIQUE INDEX ux_tags_slug ON tags (slug)")
    result = run_cli("generate", "--url", url, "--out", "app/db", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "def get_by_slug(" in repository.read_text()  # the key was seen
    assert _upsert_default(repository) == "id"


def test_service_upsert_names_its_key_when_create_cannot_carry_the_primary_key(
    tmp_path: Path,
) -> None:
    """A <M>Create leaves a database-generated key out: an upsert on it could never match, so
    the service's `on` has no default there; a key the input carries is the default."""
    url = _sqlite(
        tmp_path / "app.db",
        "CREATE TABLE tags (id INTEGER PRIMARY KEY, slug TEXT UNIQUE)",
        "CREATE TABLE codes (code TEXT PRIMARY KEY NOT NULL, label TEXT, UNIQUE (label))",
    )
    assert run_cli("generate", "--url", url, "--out", "app/db", cwd=tmp_path).returncode == 0
    services = tmp_path / "app" / "db" / "services"
    assert _on_default(services / "tag.py", "TagService") is None
    assert _on_default(services / "code.py", "CodeService") == "code"


def test_sublimate_db_without_alembic_is_one_line_with_the_install_command(
    tmp_path: Path,
) -> None:
    """Alembic hidden by a sitecustomize that makes `import alembic` fail as when it is absent."""
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(
        textwrap.dedent(
            """
            import sys


            class _NoAlembic:
                def find_spec(self, name, path=None, target=None):
                    if name == "alembic" or name.startswith("alembic."):
                        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
                    return None


            sys.meta_path.insert(0, _NoAlembic())
            """
        )
    )
    env = {**os.environ, "PYTHONPATH": str(shim)}
    for command in (["current"], ["upgrade"], ["revision", "-m", "x"]):
        result = subprocess.run(
            [str(SUBLIMATE), "db", *command, "--url", "sqlite:///x.db"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2, result.stderr
        assert result.stderr.count("\n") == 1, result.stderr
        assert result.stderr.startswith("error: sublimate db needs Alembic"), result.stderr
        assert "pip install alembic" in result.stderr
