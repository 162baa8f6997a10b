"""Hand-written models with PostgreSQL index options: after `db revision --autogenerate` and
`db upgrade`, `db check` finds no drift (the index-option comparator of
`sublimate_runtime.migration_compare` reads the options back as the models spell them, and
leaves predicates alone: PostgreSQL rewrites them); a model whose index method then changes is
drift."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .support import make_project, on_path, run

PACKAGE = "idxopts"
MODELS = """
    import sqlalchemy as sa
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class Doc(Base):
        __tablename__ = "docs"
        __table_args__ = (
            sa.Index(
                "ix_docs_data",
                "data",
                postgresql_using="GIN",
                postgresql_ops={"data": "jsonb_path_ops"},
            ),
            sa.Index(
                "ix_docs_n",
                "n",
                postgresql_where=sa.text("n > 0 AND title <> 'x'"),
                postgresql_include=["title"],
                postgresql_with={"fillfactor": 70},
            ),
            sa.Index("ix_docs_title", "title", postgresql_using="hash"),
        )
        id: Mapped[int] = mapped_column(primary_key=True)
        title: Mapped[str] = mapped_column(sa.Text())
        n: Mapped[int | None]
        data: Mapped[dict[str, object] | None] = mapped_column(postgresql.JSONB())
"""


def test_hand_written_index_options_have_no_drift_after_upgrade(
    scratch_database: Any, tmp_path: Path
) -> None:
    url = scratch_database("postgresql").url.render_as_string(hide_password=False)
    root = make_project(tmp_path / "project", PACKAGE, MODELS)
    with on_path(root, PACKAGE):
        assert run("generate", project=root).exit_code == 0
        revised = run("db", "revision", "-m", "init", "--autogenerate", "--url", url, project=root)
        assert revised.exit_code == 0, revised.output
        upgraded = run("db", "upgrade", "--url", url, project=root)
        assert upgraded.exit_code == 0, upgraded.output
        checked = run("db", "check", "--url", url, project=root)
        assert checked.exit_code == 0, checked.output
    models = root / PACKAGE / "models.py"
    models.write_text(
        models.read_text().replace('postgresql_using="hash"', 'postgresql_using="btree"')
    )
    with on_path(root, PACKAGE):
        checked = run("db", "check", "--url", url, project=root)
    assert checked.exit_code == 1, checked.output
    assert "('remove_index', Index('ix_docs_title'" in checked.stdout
    assert "ix_docs_data" not in checked.stdout and "ix_docs_n" not in checked.stdout
