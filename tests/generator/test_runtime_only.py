"""Production installs only `sublimate-runtime`: the generated example runs with nothing else."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .helpers import EXAMPLE, ROOT

SCRIPT = textwrap.dedent(
    """
    import importlib.util
    import sys

    for name in ("sublimate", "jinja2", "black", "typer"):
        assert importlib.util.find_spec(name) is None, f"{name} should not be installed"

    from sqlalchemy.orm import Session
    from sublimate_runtime import NotFoundError, TextFilter, create_engine

    from shop.db import CustomerCreate, CustomerFilter, CustomerService, CustomerUpdate
    from shop.models import Base

    engine = create_engine()
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        service = CustomerService(session, auto_commit=True)
        ann = service.create(CustomerCreate(email="ann@example.com", name="Ann"))
        service.update(ann.id, CustomerUpdate(name="Ann Lee"))
        page = service.list(CustomerFilter(email=TextFilter(endswith="@example.com")))
        assert [c.name for c in page.items] == ["Ann Lee"] and page.total == 1
        service.delete(ann.id)
        try:
            service.get(ann.id)
        except NotFoundError:
            print("runtime-only OK")
    """
)


@pytest.mark.slow
def test_generated_example_runs_with_only_the_runtime_installed(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    # Without pip of its own (ensurepip costs 10 s here): our pip installs into it (`--python`),
    # the same install, built in isolation, with the new venv's interpreter.
    command = [sys.executable, "-m", "venv", "--without-pip", str(venv)]
    subprocess.run(command, check=True, timeout=120)
    python = venv / "bin" / "python"
    # A copy, so the build does not write into the checkout.
    runtime = shutil.copytree(ROOT / "runtime", tmp_path / "runtime")
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--disable-pip-version-check",
            str(runtime),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr
    env = {**os.environ, "PYTHONPATH": str(EXAMPLE)}
    result = subprocess.run(
        [str(python), "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "runtime-only OK" in result.stdout
