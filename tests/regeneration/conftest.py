"""`project`: a scratch copy of the example with its output generated (once per session)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ._support import example


@pytest.fixture(scope="session")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return example(tmp_path_factory.mktemp("pristine") / "example")


@pytest.fixture
def project(pristine: Path, tmp_path: Path) -> Path:
    """The example project, generated, in a directory of this test's own."""
    return Path(shutil.copytree(pristine, tmp_path / "example", symlinks=True))
