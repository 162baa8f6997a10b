"""The example's repository specs name their unique keys as the <M>Key literals do: the names
`upsert(on=...)` accepts are the ones the runtime finds (no database needed)."""

from __future__ import annotations

import importlib
from typing import get_args

import pytest

MODULES = ("category", "customer", "order", "order_line", "product", "tag")


@pytest.mark.parametrize("module", MODULES)
def test_spec_keys_are_the_key_literal(module: str) -> None:
    repository = importlib.import_module(f"shop.db.repositories.{module}")
    dtos = importlib.import_module(f"shop.db.dtos.{module}")
    key_literal = next(getattr(dtos, n) for n in dir(dtos) if n.endswith("Key"))
    assert list(repository.SPEC.keys) == list(get_args(key_literal))
    assert next(iter(repository.SPEC.keys.values())).primary  # the primary key first
