"""naming: identifiers, scopes and literals made from hostile text."""

from __future__ import annotations

import ast
import keyword

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sublimate import naming
from sublimate.ir import EntityNames

HOSTILE = [
    "",
    "class",
    "4test",
    "my col",
    "a-b",
    "a_b",
    "café",
    "名前",
    "Ünïcödé Näme",
    "__init__",
    "__tablename__",
    "metadata",
    "match",
    "_",
    "it's",
    'say "hi"',
    "back\\slash",
    '"""triple"""',
    "'''triple'''",
    "line\nbreak",
    "carriage\rreturn",
    "tab\there",
    "nul\x00byte",
    "line\u2028separator",
    "emoji 🎉",
    "   ",
    "-",
    "None",
    "True",
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("class", "class_"),
        ("4test", "field_4test"),
        ("my col", "my_col"),
        ("a-b", "a_b"),
        ("a_b", "a_b"),
        ("café", "cafe"),
        ("__init__", "init"),
        ("match", "match_"),
        ("", "field"),
        ("None", "None_"),
        ("a  --  b", "a_b"),
    ],
)
def test_identifier(text: str, expected: str) -> None:
    assert naming.identifier(text) == expected


@pytest.mark.parametrize("text", HOSTILE)
def test_identifier_is_always_a_usable_name(text: str) -> None:
    name = naming.identifier(text)
    assert name.isidentifier()
    assert name.isascii()
    assert not keyword.iskeyword(name)
    assert not keyword.issoftkeyword(name)
    assert not (name.startswith("__") and name.endswith("__"))


def test_distinct_non_ascii_names_stay_distinct() -> None:
    assert naming.identifier("名前") != naming.identifier("名")
    assert naming.identifier("名前").isidentifier()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("InvoiceLine", "invoice_line"),
        ("invoice-line", "invoice_line"),
        ("Invoice Line", "invoice_line"),
        ("HTTPServer", "http_server"),
        ("class", "class_"),
        ("4test", "n_4test"),
        ("Customer", "customer"),
    ],
)
def test_snake(text: str, expected: str) -> None:
    assert naming.snake(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("invoice_line", "InvoiceLine"),
        ("InvoiceLine", "InvoiceLine"),
        ("invoice line", "InvoiceLine"),
        ("4test", "T4test"),
        ("", "Model"),
        ("my-table", "MyTable"),
    ],
)
def test_pascal(text: str, expected: str) -> None:
    assert naming.pascal(text) == expected


@pytest.mark.parametrize("text", HOSTILE)
def test_snake_and_pascal_are_identifiers(text: str) -> None:
    for name in (naming.snake(text), naming.pascal(text), naming.upper(text)):
        assert name.isidentifier(), name
        assert not keyword.iskeyword(name)


def test_scope_separates_names_that_collide_after_cleaning() -> None:
    scope = naming.Scope()
    first = scope.allocate(naming.identifier("a-b"))
    second = scope.allocate(naming.identifier("a_b"))
    third = scope.allocate(naming.identifier("a b"))
    assert (first, second, third) == ("a_b", "a_b_2", "a_b_3")


def test_scope_is_seeded_with_what_the_module_binds() -> None:
    scope = naming.Scope(taken=["select"], reserved=naming.RESERVED_ATTRS)
    assert scope.allocate("select") == "select_2"
    assert scope.allocate("metadata") == "metadata_2"
    assert "select" in scope
    with pytest.raises(ValueError, match="already taken"):
        scope.take("select")
    assert scope.take("customer") == "customer"


def test_attribute_and_class_names_avoid_reserved_words() -> None:
    assert naming.attribute_name("metadata") == "metadata_"
    assert naming.attribute_name("__tablename__") == "tablename"
    assert naming.attribute_name("_private") == "private"
    assert naming.class_name("Base") == "BaseModel"
    assert naming.class_name("customers") == "Customer"
    assert naming.class_name("categories") == "Category"


def test_key_name() -> None:
    assert naming.key_name(["sku", "vendor_id"]) == "sku_and_vendor_id"
    assert naming.key_name(["id"]) == "id"


@pytest.mark.parametrize("text", HOSTILE)
def test_literal_round_trips_hostile_text(text: str) -> None:
    source = naming.literal(text)
    assert ast.literal_eval(source) == text
    assert "\n" not in source
    assert "\r" not in source
    assert "\u2028" not in source


def test_literal_values_and_tuples() -> None:
    for value in (None, True, False, 0, -7, 10**40, 1.5, ("a",), ("a", 1, None), ()):
        assert ast.literal_eval(naming.literal(value)) == value
    assert naming.literal(("a",)) == "('a',)"
    with pytest.raises(TypeError):
        naming.literal(["a"])
    with pytest.raises(TypeError):
        naming.literal(b"bytes")


@given(st.text())
def test_literal_round_trips_any_text(text: str) -> None:
    source = naming.literal(text)
    assert ast.literal_eval(source) == text
    assert len(source.splitlines()) <= 1


@given(st.text())
def test_identifier_of_any_text(text: str) -> None:
    name = naming.identifier(text)
    assert name.isidentifier()
    assert not keyword.iskeyword(name)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, ""),
        ("", ""),
        ('say "hi"', "say hi"),
        ('ends with """ triple', "ends with triple"),
        ("line\nbreak\r\n next", "line break next"),
        ("back\\slash", "back slash"),
        ("tab\tnul\x00", "tab nul"),
    ],
)
def test_comment_text(text: str | None, expected: str) -> None:
    assert naming.comment_text(text) == expected


@given(st.text())
def test_comment_text_is_safe_in_a_docstring(text: str) -> None:
    cleaned = naming.comment_text(text, limit=50)
    assert len(cleaned) <= 50
    assert not any(ch in cleaned for ch in '"\\\n\r')
    docstring = f'"""{cleaned}."""'
    assert ast.literal_eval(docstring) == f"{cleaned}."


def test_entity_names() -> None:
    names = naming.entity_names("InvoiceLine", modules=naming.Scope(), classes=naming.Scope())
    assert names == EntityNames(
        module="invoice_line",
        create="InvoiceLineCreate",
        update="InvoiceLineUpdate",
        read="InvoiceLineRead",
        filter="InvoiceLineFilter",
        order="InvoiceLineOrder",
        key="InvoiceLineKey",
        load="InvoiceLineLoad",
        repository="InvoiceLineRepository",
        async_repository="AsyncInvoiceLineRepository",
        service="InvoiceLineService",
        async_service="AsyncInvoiceLineService",
        where="InvoiceLineWhere",
        order_by="InvoiceLineOrderBy",
        to_read="invoice_line_to_read",
        controller="InvoiceLineController",
    )


def test_entity_names_never_collide_across_entities() -> None:
    modules, classes = naming.Scope(), naming.Scope()
    customer = naming.entity_names("Customer", modules=modules, classes=classes)
    async_customer = naming.entity_names("AsyncCustomer", modules=modules, classes=classes)
    lower = naming.entity_names("customer", modules=modules, classes=classes)
    assert customer.async_repository == "AsyncCustomerRepository"
    assert async_customer.repository == "AsyncCustomerRepository_2"
    assert (customer.module, lower.module) == ("customer", "customer_2")
