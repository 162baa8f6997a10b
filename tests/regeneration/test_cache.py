"""Unchanged models are neither rendered nor formatted again; what changed is (issue 5, point 7).

Counted, not timed: `generate` reports how many files it rendered, formatted and reused.
"""

from __future__ import annotations

import json
from pathlib import Path

from ._support import (
    EXAMPLE,
    add_review,
    edit,
    example,
    out,
    run,
    stats,
    tree,
    widen_customer_email,
    written,
)


def _per_model(project: Path) -> list[str]:
    files = json.loads((out(project) / ".sublimate.json").read_text())["files"]
    return sorted(path for path, record in files.items() if record.get("entity"))


def _package_level(project: Path) -> int:
    files = json.loads((out(project) / ".sublimate.json").read_text())["files"]
    return len(files) - len(_per_model(project))


def test_a_cold_run_renders_and_formats_everything(tmp_path: Path) -> None:
    project = example(tmp_path / "p", generated=False)
    result = run("generate", cwd=project)
    assert result.returncode == 0, result.stderr
    rendered, formatted, reused = stats(result.stderr)
    files = json.loads((out(project) / ".sublimate.json").read_text())
    python = [p for p in files["files"] if p.endswith(".py")]
    assert reused == 0
    assert rendered == len(files["files"]) + len(files["user_files"])
    assert formatted == len(python) + len(files["user_files"])


def test_one_changed_column_re_renders_only_that_model(project: Path) -> None:
    widen_customer_email(project)
    result = run("generate", cwd=project)
    assert result.returncode == 0, result.stderr
    rendered, formatted, reused = stats(result.stderr)
    # Every other model's three files, but the DTO module of the customer's neighbour (order):
    # a DTO module reads its neighbours' IR (the Load enum's second level, the Filter's
    # relationship fields), so it is rendered again (and formatted only if that changed it).
    assert reused == len(_per_model(project)) - 4
    assert rendered == 4 + _package_level(project)  # the customer's, the order's DTOs, the package
    # Only renders that changed are formatted (the column's length shows in the DTOs), and what
    # is formatted is what changed.
    assert 1 <= formatted == written(result.stderr) <= 3


def test_a_new_model_is_rendered_and_nothing_else_is_formatted_twice(project: Path) -> None:
    add_review(project)
    result = run("extend", "Review", cwd=project)  # and its user module
    assert result.returncode == 0, result.stderr
    rendered, formatted, reused = stats(result.stderr)
    # Every DTO module is rendered again (a new model changes the schema's names, which a DTO
    # module's key holds, as it reads its neighbours): only review's files are formatted.
    dtos = len([path for path in _per_model(project) if path.startswith("dtos/")])
    assert reused == len(_per_model(project)) - 3 - (dtos - 1)
    assert rendered == 3 + (dtos - 1) + 1 + _package_level(project)  # ... and its user module
    # review's dtos, repository, service and user module, and the package __init__ that exports it
    assert formatted == 5


def test_the_cache_never_serves_a_hand_edited_file(project: Path, pristine: Path) -> None:
    target = out(project) / "dtos" / "customer.py"
    target.write_text(target.read_text().replace("class CustomerCreate", "class Mine", 1))
    forced = run("generate", "--force", cwd=project)
    assert forced.returncode == 0, forced.stderr
    assert target.read_bytes() == (out(pristine) / "dtos" / "customer.py").read_bytes()


def test_the_cache_does_not_trust_a_manifest_record_over_the_file(project: Path) -> None:
    # A file whose body no longer matches the manifest (restored from elsewhere, say) is
    # rendered again, not reused, even though its own header is intact.
    manifest_path = out(project) / ".sublimate.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["files"]["repositories/tag.py"]["body"] = "0" * 32
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    result = run("generate", cwd=project)
    assert result.returncode == 0, result.stderr
    rendered, formatted, reused = stats(result.stderr)
    assert reused == len(_per_model(project)) - 1
    assert rendered == 1 + _package_level(project)
    assert formatted == 1  # nor is its formatted body trusted
    assert "0 written" in result.stderr  # (it was intact: the same text comes out)
    repaired = json.loads(manifest_path.read_text())
    assert repaired["files"]["repositories/tag.py"]["body"] != "0" * 32


def test_force_renders_and_formats_everything_again(project: Path) -> None:
    result = run("generate", "--force", cwd=project)
    assert result.returncode == 0, result.stderr
    rendered, formatted, reused = stats(result.stderr)
    files = tree(out(project))
    custom = [path for path in files if path.startswith("custom/")]
    assert reused == 0
    assert rendered == len(files) - 1 - len(custom)  # all but the manifest and user modules
    assert formatted == len([path for path in files if path.endswith(".py")]) - len(custom)
    assert "0 written" in result.stderr


def test_black_and_ruff_agree_on_the_golden_record(tmp_path: Path) -> None:
    project = example(tmp_path / "p", generated=False)
    edit(project / "pyproject.toml", 'out = "shop/db"\n', 'out = "shop/db"\nformatter = "ruff"\n')
    result = run("extend", "Customer", cwd=project)  # as the example is made
    assert result.returncode == 0, result.stderr
    committed = tree(EXAMPLE / "shop" / "db")
    generated = tree(out(project))
    manifest = json.loads(generated.pop(".sublimate.json"))
    committed.pop(".sublimate.json")
    assert manifest["fingerprint"]["formatter"].startswith("ruff ")
    assert generated == committed
