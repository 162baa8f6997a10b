"""Scratch projects for the regeneration tests, driven through the real `sublimate` script."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "generated_example"
BIN = Path(sys.executable).parent
SUBLIMATE = BIN / "sublimate"
OUT = "shop/db"
_IGNORE = shutil.ignore_patterns("__pycache__", ".mypy_cache", ".ruff_cache", "*.db")
_STATS = re.compile(r"\((\d+) rendered, (\d+) formatted, (\d+) reused\)")


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SUBLIMATE), *args], cwd=cwd, capture_output=True, text=True, timeout=600
    )


def example(target: Path, *, generated: bool = True, extend: bool = True) -> Path:
    """The example project in `target`, with its output freshly generated (or none).

    With `extend` (the default here) every model has its user module (`sublimate extend
    --all`): the regeneration guarantees are about keeping those, so most tests start there.
    """
    shutil.copytree(EXAMPLE, target, ignore=_IGNORE)
    shutil.rmtree(target / "shop" / "db", ignore_errors=True)
    if generated:
        result = run("extend", "--all", cwd=target) if extend else run("generate", cwd=target)
        assert result.returncode == 0, result.stderr
    return target


def out(project: Path) -> Path:
    return project / "shop" / "db"


def tree(root: Path) -> dict[str, bytes]:
    """Every file below root by relative POSIX path, caches excluded."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def stats(stderr: str) -> tuple[int, int, int]:
    """(rendered, formatted, reused) from the summary line `generate` prints."""
    found = _STATS.search(stderr)
    assert found, stderr
    rendered, formatted, reused = (int(n) for n in found.groups())
    return rendered, formatted, reused


def written(stderr: str) -> int:
    """How many generated files `generate` says it wrote."""
    found = re.search(r": (\d+) written, ", stderr)
    assert found, stderr
    return int(found.group(1))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} not found exactly once in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


MODELS = "shop/models.py"
REVIEW_MODEL = '''

class Review(Base):
    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(sa.Integer(), primary_key=True)
    product_id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"), sa.ForeignKey("products.id")
    )
    stars: Mapped[int] = mapped_column(sa.SmallInteger())
    body: Mapped[str | None] = mapped_column(sa.Text())
'''


def add_review(project: Path) -> None:
    """A new model, Review (table reviews)."""
    with open(project / MODELS, "a", encoding="utf-8") as handle:
        handle.write(REVIEW_MODEL)


def remove_review(project: Path) -> None:
    edit(project / MODELS, REVIEW_MODEL, "")


def widen_customer_email(project: Path) -> None:
    """customers.email: String(320) -> String(400)."""
    edit(
        project / MODELS,
        "email: Mapped[str] = mapped_column(sa.String(320), unique=True)",
        "email: Mapped[str] = mapped_column(sa.String(400), unique=True)",
    )
