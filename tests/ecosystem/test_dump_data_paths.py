"""`sublimate db dump-data` writes every table inside `--dir`, whatever the table is called.

Table names come from the database: `../evil`, `a/b`, an absolute path or a 63-byte Hangul name
once chose where the file was written (`<dir>/<table>.json`). Each is now a safe file name
(`data_files`), checked to stay inside the folder, and its rows are still dumped.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from sublimate.data_files import DataFiles, safe_stem

from .support import on_path, run

HANGUL = "가나다라마바사아자차카타파하거너더러머버서"  # 21 syllables: 63 bytes in UTF-8


def _tables(tmp_path: Path) -> list[str]:
    return ["../evil", "a/b", str(tmp_path / "absolute"), HANGUL, "plain", ".."]


def _everything(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if "__pycache__" not in p.parts}


@pytest.fixture
def dumped_project(tmp_path: Path) -> tuple[Path, str, list[str]]:
    database = tmp_path / "hostile.db"
    tables = _tables(tmp_path)
    with sqlite3.connect(database) as connection:
        for number, table in enumerate(tables):
            quoted = '"' + table.replace('"', '""') + '"'
            connection.execute(f"CREATE TABLE {quoted} (id INTEGER PRIMARY KEY, v TEXT)")
            rows = [(1, f"one {number}"), (2, f"two {number}")]
            connection.executemany(f"INSERT INTO {quoted} VALUES (?, ?)", rows)
    project = tmp_path / "project"
    (project / "app").mkdir(parents=True)
    (project / "app" / "__init__.py").write_text("")
    url = f"sqlite:///{database}"
    (project / "pyproject.toml").write_text(f'[tool.sublimate]\nurl = "{url}"\nout = "app/db"\n')
    with on_path(project, "app"):
        generated = run("generate", project=project)
    assert generated.exit_code == 0, generated.output
    return project, url, tables


def test_hostile_table_names_are_dumped_inside_the_folder(
    dumped_project: tuple[Path, str, list[str]], tmp_path: Path
) -> None:
    project, url, tables = dumped_project
    out = project / "dump"
    before = _everything(tmp_path)
    with on_path(project, "app"):
        result = run("db", "dump-data", "--dir", str(out), "--url", url, project=project)
    assert result.exit_code == 0, result.stdout + result.stderr
    written = _everything(tmp_path) - before
    assert written == {out, *(out / f"{safe_stem(t)}.json" for t in tables)}
    assert len(written) == len(tables) + 1  # the folder, and one file per table
    for number, table in enumerate(tables):
        rows = json.loads((out / f"{safe_stem(table)}.json").read_text(encoding="utf-8"))
        assert [row["v"] for row in rows] == [f"one {number}", f"two {number}"], table
    assert (out / "plain.json").is_file()  # a plain name keeps its file name
    assert "(table '../evil')" in result.stdout


def test_a_symlink_out_of_the_folder_is_not_followed(
    dumped_project: tuple[Path, str, list[str]], tmp_path: Path
) -> None:
    project, url, _ = dumped_project
    out = project / "dump"
    out.mkdir()
    outside = tmp_path / "outside.json"
    outside.write_text("untouched")
    os.symlink(outside, out / "plain.json")
    with on_path(project, "app"):
        result = run("db", "dump-data", "--dir", str(out), "--url", url, project=project)
    assert result.exit_code == 2
    assert "resolves outside" in result.stderr and "Traceback" not in result.stderr
    assert outside.read_text() == "untouched"


def test_safe_stems_are_plain_unique_and_stable() -> None:
    assert safe_stem("authors") == "authors"
    assert safe_stem("order-items.v2") == "order-items.v2"
    hostile = ["../evil", "/tmp/x", "a/b", "a\x00b", HANGUL, "..", ".", "-rf", "x" * 300]
    stems = [safe_stem(name) for name in hostile]
    for stem in stems:
        assert "/" not in stem and "\x00" not in stem and not stem.startswith((".", "-"))
        assert len(stem.encode()) <= 100
    assert len(set(stems)) == len(stems)
    assert stems == [safe_stem(name) for name in hostile]


def test_data_files_keep_schemas_and_case_apart(tmp_path: Path) -> None:
    """Two schemas' `orders`, and `Artist` next to `artist` (one file on a case-insensitive
    file system), each get a file of their own."""
    files = DataFiles(tmp_path)
    paths = [
        files.path("orders"),
        files.path("orders", "sales"),
        files.path("Artist"),
        files.path("artist"),
    ]
    names = [p.name for p in paths]
    assert names[:3] == ["orders.json", "sales.orders.json", "Artist.json"]
    assert names[3].startswith("artist_") and names[3].endswith(".json")
    assert len({n.lower() for n in names}) == 4
    assert all(p.parent == tmp_path.resolve() for p in paths)
