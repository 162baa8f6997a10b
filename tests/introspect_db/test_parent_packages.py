"""`--out app/db` in a project whose `app/` is not a package yet: `generate` makes it one, so
plain `mypy --strict app` works (it used to stop with "Source file found twice under different
module names"); the file is the user's from then on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from .support import forget, generate, make_project, mypy_clean


def test_generate_makes_the_parents_packages_and_leaves_them_alone(
    scratch_database: Any, tmp_path: Path, mypy_cache: Path
) -> None:
    url = scratch_database("sqlite").url.render_as_string()
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)"))
    engine.dispose()
    project = make_project(tmp_path / "p")
    init = project / "app" / "__init__.py"
    init.unlink()  # `app/` is a plain directory

    forget()
    result = generate(url, project)
    assert init.is_file() and init.read_text() == ""
    assert "created app/__init__.py" in result.stderr
    mypy_clean(project, mypy_cache)

    init.write_text('"""My application."""\n')  # the user's file now
    result = generate(url, project, "--force")
    assert init.read_text() == '"""My application."""\n'
    assert "created app" not in result.stderr
