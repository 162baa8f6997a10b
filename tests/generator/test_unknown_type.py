"""A column type the generator does not know: a warning naming the column, code that type-checks."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from .helpers import run_cli

MODELS = textwrap.dedent(
    """
    from typing import Any

    from sqlalchemy import String
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
    from sqlalchemy.types import UserDefinedType


    class Point(UserDefinedType[Any]):
        cache_ok = True

        def get_col_spec(self, **kw: Any) -> str:
            return "POINT"


    class Base(DeclarativeBase):
        pass


    class Place(Base):
        __tablename__ = "places"

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50))
        location = mapped_column(Point())
    """
)


def test_unknown_type_warns_and_falls_back_to_code_that_type_checks(tmp_path: Path) -> None:
    (tmp_path / "geo").mkdir()
    (tmp_path / "geo" / "__init__.py").write_text("")
    (tmp_path / "geo" / "models.py").write_text(MODELS)
    result = run_cli("generate", "--models", "geo.models", "--out", "geo/db", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert any("places.location" in line for line in warnings), result.stderr
    dto = (tmp_path / "geo" / "db" / "dtos" / "place.py").read_text()
    assert "location: Any" in dto
    mypy = subprocess.run(
        [str(Path(sys.executable).with_name("mypy")), "--strict", "geo/db"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr
