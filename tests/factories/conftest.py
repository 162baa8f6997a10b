"""Fixtures of the factory tests (the servers' come from tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One mypy cache for the lints of this package: SQLAlchemy's stubs are analysed once."""
    return tmp_path_factory.mktemp("mypy-cache")
