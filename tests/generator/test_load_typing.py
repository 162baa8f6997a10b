"""`load=` is typed per model: `mypy --strict` accepts the model's own Load members and refuses
another model's, a plain string, and a load on a model without the path's enum."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from .helpers import copy_example

USE = """\
from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from shop.db import (
    AsyncCustomerRepository,
    CustomerLoad,
    CustomerRepository,
    OrderLineLoad,
    OrderLineRepository,
    OrderLoad,
)


def fine(session: Session, key: uuid.UUID) -> None:
    repo = CustomerRepository(session)
    repo.get(key, load=CustomerLoad.ORDERS__LINES)
    repo.get_by_email("a@example.com", load=[CustomerLoad.ORDERS])
    repo.list(load=(CustomerLoad.ORDERS, CustomerLoad.ORDERS__LINES))
    repo.list_and_count(limit=1, load=None)
    OrderLineRepository(session).get(1, 2, load=OrderLineLoad.PRODUCT)


async def fine_async(repo: AsyncCustomerRepository) -> None:
    await repo.get_one_or_none(load=CustomerLoad.ORDERS)


def wrong(session: Session, key: uuid.UUID) -> None:
    repo = CustomerRepository(session)
    repo.get(key, load=OrderLoad.LINES)  # error: another model's member
    repo.list(load="orders")  # error: a plain string
    repo.get_by_email("a@example.com", load=[OrderLoad.CUSTOMER])  # error
    OrderLineRepository(session).get(1, 2, load=CustomerLoad.ORDERS)  # error
"""


def test_load_is_checked_against_the_model(tmp_path: Path) -> None:
    project = copy_example(tmp_path / "example", with_output=True)
    (project / "use_loads.py").write_text(USE, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "use_loads.py"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = USE.splitlines()
    wrong = {number for number, line in enumerate(lines, 1) if "# error" in line}
    assert len(wrong) == 4
    flagged = {int(n) for n in re.findall(r"^use_loads\.py:(\d+): error", result.stdout, re.M)}
    assert flagged == wrong, result.stdout
