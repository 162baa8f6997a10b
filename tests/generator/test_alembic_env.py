"""The generated Alembic environment autogenerates, upgrades and finds no drift (SQLite here;
the real servers are covered by the database suite)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import copy_example

ALEMBIC = Path(sys.executable).with_name("alembic")


def _alembic(project: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ALEMBIC), "-c", "shop/db/migrations/alembic.ini", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "SUBLIMATE_DATABASE_URL": url},
    )


@pytest.mark.parametrize("driver", ["sqlite", "sqlite+aiosqlite"])
def test_autogenerate_upgrade_check_downgrade(tmp_path: Path, driver: str) -> None:
    project = copy_example(tmp_path / "p", with_output=True)
    database = tmp_path / "app.db"
    url = f"{driver}:///{database}"
    revision = _alembic(project, url, "revision", "--autogenerate", "-m", "init")
    assert revision.returncode == 0, revision.stderr
    (script,) = (project / "shop" / "db" / "migrations" / "versions").glob("*_init.py")
    assert "op.create_table('customers'" in script.read_text()
    upgrade = _alembic(project, url, "upgrade", "head")
    assert upgrade.returncode == 0, upgrade.stderr
    assert "Running upgrade" in upgrade.stderr
    tables = {
        r[0]
        for r in sqlite3.connect(database).execute(
            "select name from sqlite_master where type = 'table'"
        )
    }
    assert {"customers", "products", "order_lines", "product_tags"} <= tables
    check = _alembic(project, url, "check")
    assert check.returncode == 0, check.stdout + check.stderr
    downgrade = _alembic(project, url, "downgrade", "base")
    assert downgrade.returncode == 0, downgrade.stderr
    left = {
        r[0]
        for r in sqlite3.connect(database).execute(
            "select name from sqlite_master where type = 'table'"
        )
    }
    assert left <= {"alembic_version"}
