"""A long chain of relationships (M0 -> M1 -> ... -> M159) gives importable DTO modules.

Each Filter holds its related models' Filters. Were the DTO modules to import each other, the
first import would nest one import per link and exhaust Python's recursion around 120 links (a
300-table schema has longer chains); they reach each other through their package instead, which
imports them one level deep. Checked in a fresh interpreter (nothing imported yet), which then
decodes and compiles a Filter three links deep.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from .helpers import run_cli

LINKS = 160


def models() -> str:
    classes = []
    for i in range(LINKS):
        parent = (
            f"    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey('m{i + 1}.id'))\n"
        )
        classes.append(
            f"class M{i}(Base):\n"
            f"    __tablename__ = 'm{i}'\n"
            "    id: Mapped[int] = mapped_column(primary_key=True)\n"
            + (parent if i + 1 < LINKS else "")
            + (f"    parent: Mapped[M{i + 1} | None] = relationship()\n" if i + 1 < LINKS else "")
        )
    header = (
        "from __future__ import annotations\n\nimport sqlalchemy as sa\n"
        "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship\n\n\n"
        "class Base(DeclarativeBase):\n    pass\n\n\n"
    )
    return header + "\n\n".join(classes)


def test_a_long_chain_of_related_filters_imports(tmp_path: Path) -> None:
    (tmp_path / "chain").mkdir()
    (tmp_path / "chain" / "__init__.py").write_text("")
    (tmp_path / "chain" / "models.py").write_text(models())
    # ruff formats: this is no test of the formatter, and black takes half a minute on 640 files.
    (tmp_path / "pyproject.toml").write_text(
        '[tool.sublimate]\nmodels = "chain.models"\nout = "chain/db"\nsessions = ["sync"]\n'
        'formatter = "ruff"\n'
    )
    result = run_cli("generate", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    script = textwrap.dedent(
        """
        import msgspec, sqlalchemy as sa
        from chain.db.dtos.m0 import M0Filter
        from chain.db.repositories.m0 import SPEC
        where = msgspec.json.decode(
            b'{"parent": {"parent": {"parent": {"id": {"eq": 3}}}}}', type=M0Filter
        )
        text = str(sa.select(SPEC.model.id).where(*SPEC.conditions(where)))
        print(text.count("EXISTS"), "JOIN" in text)
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == ["3", "False"]
