"""`sublimate check` (and `generate --check`) explain staleness at the schema level; `sublimate
diff` prints exactly what `generate` would write. Both are read-only (issue 5, point 6)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from ._support import add_review, edit, out, run, tree, widen_customer_email


def _stamps(root: Path) -> dict[str, tuple[int, bytes]]:
    return {
        p.relative_to(root).as_posix(): (p.stat().st_mtime_ns, p.read_bytes())
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


@pytest.mark.parametrize("command", [("check",), ("generate", "--check")])
def test_up_to_date_exits_0(project: Path, command: tuple[str, ...]) -> None:
    before = _stamps(project)
    result = run(*command, cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "shop/db is up to date\n"
    assert _stamps(project) == before


def test_schema_changes_are_explained_model_by_model(project: Path) -> None:
    models = project / "shop" / "models.py"
    widen_customer_email(project)
    edit(models, "note: Mapped[str | None] = mapped_column(sa.Text())\n", "")
    edit(
        models,
        "name: Mapped[str] = mapped_column(sa.String(100))",
        "name: Mapped[str | None] = mapped_column(sa.String(100))",
    )
    edit(
        models,
        "    birthday: Mapped[datetime.date | None] = mapped_column(sa.Date())\n",
        "    birthday: Mapped[datetime.date | None] = mapped_column(sa.Date())\n"
        "    nickname: Mapped[str | None] = mapped_column(sa.String(40))\n",
    )
    add_review(project)
    before = _stamps(project)

    result = run("check", cwd=project)

    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "shop/db is out of date:"
    assert "  model added: Review (table reviews)" in lines
    assert "  customers.email: String(320) → String(400)" in lines
    assert "  customers.name: not null → null" in lines
    assert "  customers.note: column removed" in lines
    assert "  customers.nickname: column added (String(40), null)" in lines
    assert "  products: relation reviews added" not in lines  # Review declares no relationship
    assert any(line.startswith("  files: ") and "to write" in line for line in lines), lines
    assert lines[-1].startswith("run `sublimate generate`")
    assert _stamps(project) == before, "check is read-only"

    same = run("generate", "--check", cwd=project)
    assert (same.returncode, same.stdout) == (1, result.stdout)


def test_a_removed_model_and_a_changed_key_are_explained(project: Path) -> None:
    add_review(project)
    assert run("generate", cwd=project).returncode == 0
    models = project / "shop" / "models.py"
    edit(models, "stars: Mapped[int] = mapped_column(sa.SmallInteger())", "")
    edit(models, "class Review(Base):", "class Rating(Base):")
    edit(models, '__tablename__ = "reviews"', '__tablename__ = "ratings"')
    edit(models, "sku: Mapped[str] = mapped_column(sa.String(40), unique=True)",
         "sku: Mapped[str] = mapped_column(sa.String(40))")  # fmt: skip
    result = run("check", cwd=project)
    assert result.returncode == 1
    assert "  model added: Rating (table ratings)" in result.stdout
    assert "  model removed: Review (table reviews)" in result.stdout
    assert "  products: unique key sku removed" in result.stdout


def test_only_a_new_generator_or_formatter_is_said_so(project: Path) -> None:
    manifest = out(project) / ".sublimate.json"
    data = json.loads(manifest.read_text())
    current = dict(data["fingerprint"])
    data["fingerprint"].update(sublimate="0.0.9", formatter="black 25.1.0", templates="0" * 32)
    manifest.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    result = run("check", cwd=project)
    assert result.returncode == 1
    assert result.stdout.splitlines()[1:6] == [
        "  the schema did not change; only the generator did:",
        f"  sublimate: 0.0.9 → {current['sublimate']}",
        f"  formatter: black 25.1.0 → {current['formatter']}",
        "  templates changed",
        "  files: only .sublimate.json to update",
    ]


def test_hand_edits_are_reported_with_where_to_move_them(project: Path) -> None:
    target = out(project) / "repositories" / "product.py"
    target.write_text(target.read_text() + "# tweak\n")
    (out(project) / "dtos" / "tag.py").unlink()
    result = run("check", cwd=project)
    assert result.returncode == 1
    assert (
        "  repositories/product.py was edited by hand: move the change to custom/product.py,"
        " or run `sublimate generate --force` to discard it"
    ) in result.stdout.splitlines()
    assert "  dtos/tag.py was deleted by hand" in result.stdout.splitlines()


def test_check_before_any_generation(project: Path) -> None:
    shutil.rmtree(out(project))
    result = run("check", cwd=project)
    assert result.returncode == 1
    assert "shop/db has no .sublimate.json: it was never generated here" in result.stdout
    assert not out(project).exists()


def test_check_on_bad_input_is_an_error_not_a_verdict(project: Path) -> None:
    result = run("check", "--models", "shop.nowhere", cwd=project)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and result.stdout == ""


def test_diff_is_exactly_what_generate_writes(project: Path, tmp_path: Path) -> None:
    widen_customer_email(project)
    add_review(project)
    before = _stamps(project)
    result = run("diff", cwd=project)
    assert result.returncode == 0, result.stderr
    patch = result.stdout
    assert _stamps(project) == before, "diff is read-only"
    assert "--- a/shop/db/dtos/customer.py\n+++ b/shop/db/dtos/customer.py\n" in patch
    assert "+++ b/shop/db/custom/review.py" not in patch  # a user module only when asked for
    assert "--- /dev/null\n+++ b/shop/db/services/review.py\n" in patch
    assert any(line.startswith("+") and "max_length=400" in line for line in patch.splitlines())

    # Applying the patch to a copy gives the tree `generate` writes.
    patched = Path(shutil.copytree(project, tmp_path / "patched"))
    applied = subprocess.run(
        ["git", "apply", "--unidiff-zero", "-"],
        input=patch,
        cwd=patched,
        capture_output=True,
        text=True,
        env={**os.environ, "GIT_DIR": str(tmp_path / "no-repo")},
    )
    assert applied.returncode == 0, applied.stderr
    assert run("generate", cwd=project).returncode == 0
    assert tree(out(patched)) == tree(out(project))
    assert run("diff", cwd=project).stdout == ""
