"""Config, `sublimate init`, the pre-commit hook and the README (issue 5, point 8)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from sublimate.settings import KEY_DOCS, Settings

from ._support import ROOT, example, out, run


def test_every_setting_is_documented_in_the_code_and_in_the_readme() -> None:
    fields = set(Settings.__dataclass_fields__) - {"root"}
    assert {key for key, _, _ in KEY_DOCS} == fields
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Regenerating") :]
    for key in fields:
        assert re.search(rf"^\| `{key}` \|", section, re.MULTILINE), f"README: key {key}"


def test_unknown_keys_are_rejected_with_the_valid_ones(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.sublimate]\nformater = "ruff"\n')
    result = run("check", cwd=tmp_path)
    assert result.returncode == 2
    line = result.stderr.strip()
    assert "'formater'" in line and "valid keys: " in line
    for key, _, _ in KEY_DOCS:
        assert key in line.split("valid keys: ")[1]


def test_a_bad_formatter_is_one_line_and_exit_2(tmp_path: Path) -> None:
    project = example(tmp_path / "p", generated=False)
    text = (project / "pyproject.toml").read_text()
    (project / "pyproject.toml").write_text(
        text.replace('out = "shop/db"', 'out = "shop/db"\nformatter = "yapf"')
    )
    result = run("generate", cwd=project)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "formatter must be one of black, ruff" in result.stderr


def test_init_writes_a_commented_starter_config(tmp_path: Path) -> None:
    result = run("init", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "pyproject.toml").read_text()
    config = tomllib.loads(text)["tool"]["sublimate"]
    # Examples only: an active `models = "shop.models"` made the next `generate` import a module
    # that does not exist (issue 13, point 16).
    assert config == {}
    for key, example_value, description in KEY_DOCS:
        assert f"# {key}: {description}" in text
        assert f"# {key} = {example_value}" in text
    assert "set models (or url) and out in it" in result.stderr

    again = run("init", cwd=tmp_path)
    assert again.returncode == 2
    assert "already has a [tool.sublimate] section" in again.stderr
    assert (tmp_path / "pyproject.toml").read_text() == text


def test_init_keeps_an_existing_pyproject_and_the_result_generates(tmp_path: Path) -> None:
    project = example(tmp_path / "p", generated=False)
    pyproject = project / "pyproject.toml"
    original = pyproject.read_text()
    pyproject.write_text(original.split("[tool.sublimate]")[0] + original.split('"shop/db"\n')[1])
    kept = pyproject.read_text()
    result = run("init", "--models", "shop.models", "--out", "shop/db", cwd=project)
    assert result.returncode == 0, result.stderr
    assert pyproject.read_text().startswith(kept)
    assert run("generate", cwd=project).returncode == 0
    assert (out(project) / ".sublimate.json").exists()
    assert run("check", cwd=project).returncode == 0


def test_the_pre_commit_hook_runs_sublimate_check() -> None:
    text = (ROOT / ".pre-commit-hooks.yaml").read_text()
    hooks = re.findall(r"^- id: (\S+)\n((?:  .*\n)+)", text, re.MULTILINE)
    assert [name for name, _ in hooks] == ["sublimate-check", "sublimate-check-system"]
    for _, body in hooks:
        fields = dict(re.findall(r"^  (\w+): (.+)$", body, re.MULTILINE))
        assert fields["entry"] == "sublimate check"
        assert fields["pass_filenames"] == "false"
        assert fields["always_run"] == "true"
        assert fields["language"] in ("python", "system")
