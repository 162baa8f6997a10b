"""Import blocks derived from use: what is read counts, what is only declared does not."""

from __future__ import annotations

import io
import tokenize
from pathlib import Path

import pytest

from sublimate.imports import bind, block, reads, rename_names, used_names

GOLDEN = Path(__file__).resolve().parents[2] / "generated_example" / "shop" / "db"


def test_used_names_skips_attributes_strings_keyword_arguments_and_declarations() -> None:
    source = (
        "class A(msgspec.Struct):\n"
        "    uuid: uuid.UUID | None = None\n"
        "x = f(uuid=1, name='datetime')\n"
        "def g(where: Where = None) -> None: ...\n"
    )
    names = used_names(source)
    assert {"msgspec", "uuid", "f", "Where", "None", "A", "x", "g"} <= names
    assert "datetime" not in names  # inside a string
    assert "Struct" not in names and "UUID" not in names  # attributes
    assert "name" not in names and "where" not in names  # keyword argument, parameter


def test_a_field_named_like_a_module_does_not_count_as_a_use() -> None:
    assert "decimal" not in used_names("class A:\n    decimal: int\n")
    assert "decimal" in used_names("class A:\n    price: decimal.Decimal\n")


def test_rename_names_rewrites_names_not_attributes_or_strings() -> None:
    renamed = rename_names('uuid.UUID | Literal["uuid"] | x.uuid', {"uuid": "uuid_"})
    assert renamed == 'uuid_.UUID | Literal["uuid"] | x.uuid'


def test_block_sorts_like_ruff_isort_and_drops_unused() -> None:
    bindings = bind(
        [
            ("typing", "Any"),
            ("typing", "TYPE_CHECKING"),
            ("datetime", ""),
            ("sqlalchemy", "select"),
            ("sqlalchemy", "Select"),
            ("shop.models", "Customer"),
            ("..dtos.customer", "CustomerRead"),
            (".sibling", "X"),
            ("msgspec", ""),
            ("json", ""),
        ],
        {("typing", "Any"): "Any_"},
    )
    used = {
        "Any_",
        "TYPE_CHECKING",
        "datetime",
        "select",
        "Select",
        "Customer",
        "CustomerRead",
        "X",
    }
    assert block(bindings, used, frozenset({"shop"})) == [
        "import datetime",
        "from typing import TYPE_CHECKING",
        "from typing import Any as Any_",
        "",
        "from sqlalchemy import Select, select",
        "",
        "from shop.models import Customer",
        "",
        "from ..dtos.customer import CustomerRead",
        "from .sibling import X",
    ]


# `reads` is the fast path the renderer uses; `used_names` (the tokenizer) is its definition.
TRICKY = [
    'x = "Tag" + f"{select}"  # delete\ny = update(z)\n',
    "def f(select: int, *, func=1) -> None:\n    return insert(func)\n",
    'class A:\n    """Tag\\"s \'\'\' """\n    name: str\n    Tag: int = 1\n',
    "d = {\n    Tag: 1,\n    select: 2,\n}\ns = x[a, Tag:]\n(w := Tag)\n",
    "value = (\n    query\n    .where(Tag)\n    . select\n)\nr = rb'\\'' + Tag\n",
    "café = Modèle(id=1)\nfoo.Modèle = 2\n",
]


@pytest.mark.parametrize("source", TRICKY)
def test_reads_agrees_with_the_tokenizer_on_tricky_sources(source: str) -> None:
    names = _names(source)
    assert reads(source, names) == used_names(source) & names


def test_reads_agrees_with_the_tokenizer_on_every_golden_module() -> None:
    modules = sorted(GOLDEN.rglob("*.py"))
    assert len(modules) > 20
    for module in modules:
        source = module.read_text(encoding="utf-8")
        names = _names(source)
        assert reads(source, names) == used_names(source), module


def test_reads_ignores_dotted_and_absent_candidates() -> None:
    assert reads("import a.b\nx = a.b\n", ["a.b", "missing"]) == set()


def _names(source: str) -> set[str]:
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return {token.string for token in tokens if token.type == tokenize.NAME}
