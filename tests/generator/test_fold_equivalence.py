"""black_shape.fold never changes what black prints, only how long black takes to print it.

Every module the generator hands to black, for four projects that between them hold the shapes
templates print (the example, and the example with typed SQL; the hostile models, whose names
collide with everything a module binds; a 40-table schema of make_big_schema.py with its awkward
names, composite keys, views and tables without a key), is formatted by black twice: as
rendered, and folded first. Both must be byte for byte the same. A hypothesis test then feeds
fold lines of the folded shapes with hostile strings (quotes, backslashes, wide characters) and
names of every length around the limit.
"""

from __future__ import annotations

import importlib.util
import keyword
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import black
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import sublimate.produce
from sublimate.black_shape import fold
from sublimate.cli import app

from .helpers import copy_example

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
_MODE = black.Mode(target_versions={black.mode.TargetVersion.PY311}, line_length=88)


def _renders(project: Path, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """The (path, unformatted text) of every module `generate` formats in `project`."""
    seen: list[tuple[str, str]] = []
    original = sublimate.produce.format_all

    def recording(items: list[tuple[str, str]], *args: Any, **kwargs: Any) -> dict[str, str]:
        seen.extend(items)
        return original(items, *args, **kwargs)

    monkeypatch.setattr(sublimate.produce, "format_all", recording)
    monkeypatch.setenv("SUBLIMATE_NO_CACHE", "1")
    monkeypatch.chdir(project)
    monkeypatch.syspath_prepend(str(project))
    result = CliRunner().invoke(app, ["generate", "--force"])
    assert result.exit_code == 0, result.output
    assert seen, "generate formatted nothing"
    return seen


def _big_project(target: Path) -> Path:
    spec = importlib.util.spec_from_file_location("big_schema", ROOT / "bench" / "big_schema.py")
    assert spec is not None and spec.loader is not None
    big = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("big_schema", big)
    spec.loader.exec_module(big)
    target.mkdir()
    database = target / "big.db"
    command = [sys.executable, str(big.MAKE_BIG_SCHEMA), "-n", "40", "--seed", "360"]
    subprocess.run([*command, "-o", str(database)], check=True, capture_output=True, timeout=300)
    big.write_models(database, target / "foldmodels.py")
    (target / "pyproject.toml").write_text('[tool.sublimate]\nmodels = "foldmodels"\nout = "db"\n')
    return target


@pytest.mark.parametrize("case", ["example", "queries", "hostile", "big"])
def test_folding_first_changes_nothing_black_prints(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if case == "example":
        project = copy_example(tmp_path / "example")
    elif case == "queries":  # typed SQL: multi-line statements a fold must leave whole
        from tests.queries.test_models_scratch import SHOP

        project = copy_example(tmp_path / "queries")
        (project / "queries").mkdir()
        typed = "-- column orders: int\n-- column biggest: Decimal?"
        (project / "queries" / "shop.sql").write_text(SHOP.replace("-- column orders: int", typed))
    elif case == "hostile":
        project = tmp_path / "hostile"
        shutil.copytree(HERE / "hostile_project", project)
    else:
        project = _big_project(tmp_path / "big")
    renders = _renders(project, monkeypatch)
    differing = [
        path
        for path, text in renders
        if black.format_str(fold(text, 88), mode=_MODE) != black.format_str(text, mode=_MODE)
    ]
    assert differing == []
    folded_away = sum(fold(text, 88) != text for _, text in renders)
    assert folded_away > 0  # the comparison saw modules fold did change


# Identifiers: a keyword (`or`, `if`) is no name, and black rejects the source it makes.
_name = st.from_regex(r"[a-z_][a-z0-9_]{0,40}", fullmatch=True).filter(
    lambda name: not keyword.iskeyword(name)
)
_text = st.text(
    alphabet=st.sampled_from(list("ab '\"\\\u00e9\u4e2d\U0001f600%{}()[],:#")), max_size=60
)


@settings(max_examples=300, deadline=None)
@given(
    target=_name,
    function=_name,
    names=st.lists(_name, min_size=1, max_size=8),
    strings=st.lists(_text, min_size=1, max_size=4),
    indent=st.sampled_from([0, 4, 8]),
)
def test_fold_agrees_with_black_on_hostile_lines(
    target: str, function: str, names: list[str], strings: list[str], indent: int
) -> None:
    pad = " " * indent
    arguments = ", ".join([*names, *(repr(s) for s in strings)])
    body = (
        f"{pad}{target} = {function}({arguments})\n"
        f"{pad}{target}: list[{', '.join(names)}] = [{arguments}]\n"
        f"{pad}from {function} import {', '.join(names)}\n"
    )
    source = (
        body if indent == 0 else "class C:\n" + ("    def f(self):\n" if indent == 8 else "") + body
    )
    assert black.format_str(fold(source, 88), mode=_MODE) == black.format_str(source, mode=_MODE)
