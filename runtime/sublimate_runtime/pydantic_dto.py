"""What DTOs generated with ``dto = "pydantic"`` are made of: pydantic v2 bases, the filters.

Imported only by those DTO modules (extra ``pydantic``); the rest of the runtime reaches it through
one dispatch per DTO class (:func:`is_pydantic`), never by importing it, so a msgspec project does
not need pydantic installed.

The two flavours print the same annotations (:mod:`sublimate.views.fields`), so the names they
read mean the same here as in msgspec:

- ``Meta(max_length=..., pattern=..., ge=..., tz=True)``: the same bounds as pydantic metadata
  (:class:`Meta`); patterns are Python's ``re`` (``regex_engine="python-re"``), as msgspec's are,
  since the no-NUL pattern needs a look-ahead that the default Rust engine lacks;
- ``UNSET``/``UnsetType``: msgspec's marker, accepted by instance (never from JSON: an absent
  field keeps its default) and left out of the JSON schema. So an Update tells "absent" (UNSET:
  leave the column alone) from ``null`` (set NULL) as the msgspec flavour does, and
  ``set_fields`` (:func:`set_fields`) returns the same dict for both;
- the filters (``EqFilter[T]``...): the same operators and wire names (``in``), as pydantic models.
"""

from __future__ import annotations

import datetime
import keyword
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Annotated, Any, Generic, Self, TypeAlias, TypeVar, get_args, get_origin

import msgspec
from sqlalchemy import ColumnElement

from .checks import check_decimal
from .extras import missing_extra
from .filter_tree import MAX_FILTER_DEPTH, check_tree
from .filters import check_decimal_filter as _check_decimal_filter
from .filters import operator_conditions

try:
    import annotated_types
    from pydantic import (
        AfterValidator,
        BaseModel,
        ConfigDict,
        Field,
        TypeAdapter,
        ValidationError,
        create_model,
        model_validator,
    )
    from pydantic.json_schema import (
        PydanticJsonSchemaWarning,
        SkipJsonSchema,
        models_json_schema,
    )
    from pydantic_core import core_schema
except ModuleNotFoundError as error:
    raise missing_extra(error, extra="pydantic", needed_by=__name__) from None

__all__ = [
    "UNSET",
    "AwareDateTime",
    "EqFilter",
    "InputModel",
    "Int16",
    "Int32",
    "Int64",
    "Meta",
    "NaiveDateTime",
    "NullableEqFilter",
    "NullableRangeFilter",
    "NullableTextFilter",
    "RangeFilter",
    "ReadModel",
    "Text",
    "TextFilter",
    "UnsetType",
    "check_decimal",
    "check_decimal_filter",
    "check_filter_tree",
]

T = TypeVar("T")
P = TypeVar("P", bound=msgspec.Struct)  # a page
UNSET = msgspec.UNSET


class _Unset:
    """Pydantic's view of msgspec's ``UnsetType``: the marker itself, by identity, no JSON."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.is_instance_schema(msgspec.UnsetType)


UnsetType: TypeAlias = Annotated[msgspec.UnsetType, _Unset, SkipJsonSchema()]
"""``T | UnsetType = UNSET``: absent (the default) or a ``T``; ``null`` is not an UNSET."""


def _aware(value: Any) -> Any:
    if value.tzinfo is None:
        raise ValueError("a timezone is required")
    return value


def _naive(value: Any) -> Any:
    if value.tzinfo is not None:
        raise ValueError("no timezone is allowed")
    return value


class Meta(annotated_types.GroupedMetadata):
    """msgspec's ``Meta`` bounds as pydantic metadata: ``Annotated[str, Meta(max_length=9)]``."""

    __slots__ = ("_items",)

    def __init__(self, **bounds: Any) -> None:
        items: list[Any] = []
        for name, value in bounds.items():
            if name == "tz":
                items.append(AfterValidator(_aware if value else _naive))
            elif name == "pattern":
                items.append(Field(pattern=value))
            elif name in _BOUNDS:
                items.append(_BOUNDS[name](value))
            else:
                raise TypeError(f"Meta: unknown bound {name!r}")
        self._items = tuple(items)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items)


_BOUNDS: dict[str, Callable[[Any], Any]] = {
    "max_length": annotated_types.MaxLen,
    "min_length": annotated_types.MinLen,
    "ge": annotated_types.Ge,
    "gt": annotated_types.Gt,
    "le": annotated_types.Le,
    "lt": annotated_types.Lt,
    "multiple_of": annotated_types.MultipleOf,
}

_INPUT = ConfigDict(
    extra="forbid",
    regex_engine="python-re",
    # `and_=` in Python, "and" on the wire (web layers decode with by_name=False).
    validate_by_name=True,
    validate_by_alias=True,
    serialize_by_alias=True,
    arbitrary_types_allowed=False,
    # A field pydantic reserves is renamed (`model_dump` -> `model_dump_`, the attribute its
    # alias): pydantic's namespace is kept clear by the generator, not by a warning.
    protected_namespaces=(),
)


class InputModel(BaseModel):
    """The base of Create, Update and Filter models: unknown fields are refused."""

    model_config = _INPUT


class ReadModel(BaseModel):
    """The base of Read models: built from rows the database returned (see read_rows)."""

    model_config = ConfigDict(
        from_attributes=True,
        regex_engine="python-re",
        # `json_` in Python, "json" on the wire and on the ORM object (see InputModel's config).
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        protected_namespaces=(),
    )


Text: TypeAlias = Annotated[str, Meta(pattern="^[^\\x00]*$")]
# The bounded types of the DTO fields, by name, as sublimate_runtime.dto names msgspec's.
Int16: TypeAlias = Annotated[int, Meta(ge=-32768, le=32767)]
Int32: TypeAlias = Annotated[int, Meta(ge=-2147483648, le=2147483647)]
Int64: TypeAlias = Annotated[int, Meta(ge=-9223372036854775808, le=9223372036854775807)]
NaiveDateTime: TypeAlias = Annotated[datetime.datetime, Meta(tz=False)]
AwareDateTime: TypeAlias = Annotated[datetime.datetime, Meta(tz=True)]
LikePattern: TypeAlias = Annotated[str, Meta(pattern=r"^(?:[^\x00\\]|\\[^\x00])*$")]


class EqFilter(InputModel, Generic[T]):
    """Equality operators; ``in`` on the wire (``in_`` in Python). See filters.EqFilter."""

    eq: T | UnsetType = UNSET
    ne: T | UnsetType = UNSET
    # "in" in every schema (Litestar's reads `alias`); in the annotation, so that a type checker
    # keeps `in_=` as the keyword.
    in_: Annotated[list[T] | UnsetType, Field(alias="in")] = UNSET
    not_in: list[T] | UnsetType = UNSET

    def conditions(self, column: Any) -> list[ColumnElement[bool]]:
        """One condition per operator that is set, as filters.EqFilter.conditions."""
        return operator_conditions(self, column)


class RangeFilter(EqFilter[T], Generic[T]):
    """Equality plus ordering operators."""

    lt: T | UnsetType = UNSET
    le: T | UnsetType = UNSET
    gt: T | UnsetType = UNSET
    ge: T | UnsetType = UNSET


class TextFilter(RangeFilter[Text]):
    """String operators, as filters.TextFilter (like/ilike patterns, literal startswith...)."""

    like: LikePattern | UnsetType = UNSET
    ilike: LikePattern | UnsetType = UNSET
    startswith: Text | UnsetType = UNSET
    endswith: Text | UnsetType = UNSET
    contains: Text | UnsetType = UNSET


class NullableEqFilter(EqFilter[T], Generic[T]):
    """:class:`EqFilter` for a nullable column: ``is_null``."""

    is_null: bool | UnsetType = UNSET


class NullableRangeFilter(RangeFilter[T], Generic[T]):
    """:class:`RangeFilter` for a nullable column: ``is_null``."""

    is_null: bool | UnsetType = UNSET


class NullableTextFilter(TextFilter):
    """:class:`TextFilter` for a nullable column: ``is_null``."""

    is_null: bool | UnsetType = UNSET


def check_decimal_filter(
    value_filter: EqFilter[Any] | None, field: str, precision: int | None, scale: int | None
) -> None:
    """filters.check_decimal_filter on a pydantic filter (it reads the operators by name)."""
    _check_decimal_filter(value_filter, field, precision, scale)  # type: ignore[arg-type]


def check_filter_tree(root: BaseModel) -> None:
    """filter_tree.check_filter_tree over pydantic Filters: the same limits, the same errors."""
    check_tree(root, _model_fields, EqFilter, BaseModel)


def _model_fields(node: Any) -> Iterable[str]:
    return type(node).model_fields  # type: ignore[no-any-return]


class FilterModel(InputModel):
    """The base of generated Filters: the tree is bounded as it is validated."""

    @model_validator(mode="after")
    def _bounded_tree(self) -> Self:
        check_filter_tree(self)
        return self


# --- what the runtime's dispatch calls (sublimate_runtime.dto) ------------------------------


def field_names(kind: type[BaseModel]) -> tuple[str, ...]:
    return tuple(kind.model_fields)


def wire_names(kind: type[BaseModel]) -> tuple[str, ...]:
    """The names a JSON document uses for each field, in field order."""
    names = []
    for name, info in kind.model_fields.items():
        alias = info.validation_alias
        names.append(alias if isinstance(alias, str) else name)
    return tuple(names)


def model_names(kind: type[BaseModel]) -> tuple[tuple[str, str], ...]:
    """(field, the model's attribute) per field: a field pydantic reserves (``json``,
    ``model_config``: sublimate.naming.pydantic_field_names) is ``json_`` with the attribute as
    its alias, what set_fields, new_row, the row path and the filters map back to."""
    names = _MODEL_NAMES.get(kind)
    if names is None:
        names = _MODEL_NAMES[kind] = tuple(zip(kind.model_fields, wire_names(kind), strict=True))
    return names


_MODEL_NAMES: dict[type[BaseModel], tuple[tuple[str, str], ...]] = {}


def set_fields(model: BaseModel) -> dict[str, Any]:
    """The fields given a value (None included), UNSET ones left out, by the model's attribute
    names (a renamed field's alias): dto.set_fields."""
    state = model.__dict__
    return {
        attr: state[name] for name, attr in model_names(type(model)) if state[name] is not UNSET
    }


def validated(data: BaseModel) -> BaseModel:
    """``data`` validated again: pydantic validates on construction, but ``model_copy(update=)``
    and ``model_construct`` (what a hook may return) do not."""
    return type(data).model_validate(data.__dict__)


def row_constructor(read: type[Any], fields: tuple[str, ...]) -> Callable[[Any], Any]:
    """``lambda row: <Read without validation>``, ``fields`` the model's attributes (dto_fields)
    in the row's order. The values come from the database, typed by
    the columns, so they are stored as they are (pydantic's ``model_construct``, without its
    per-field default handling: every field is given)."""
    python = dict((attr, name) for name, attr in model_names(read))
    fields = tuple(python[attr] for attr in fields)  # the model's attributes: the DTO's names
    assert all(name.isidentifier() and not keyword.iskeyword(name) for name in fields)
    given = set(fields)
    items = ", ".join(f"{name!r}: row[{index}]" for index, name in enumerate(fields))
    source = (
        "def build(row):\n"
        "    instance = new(read)\n"
        f"    setattr_(instance, '__dict__', {{{items}}})\n"
        "    setattr_(instance, '__pydantic_fields_set__', given.copy())\n"
        "    setattr_(instance, '__pydantic_extra__', None)\n"
        "    setattr_(instance, '__pydantic_private__', None)\n"
        "    return instance\n"
    )
    scope: dict[str, Any] = {
        "new": object.__new__,
        "read": read,
        "setattr_": object.__setattr__,
        "given": given,
    }
    exec(source, scope)  # the names are the model's fields, checked above
    build: Callable[[Any], Any] = scope["build"]
    return build


def from_objects(shape: type[BaseModel], items: list[Any]) -> list[Any]:
    """Read models of loaded ORM objects (nested reads): validated from their attributes."""
    validate = shape.model_validate
    return [validate(item, from_attributes=True) for item in items]


# --- what the web layers' dispatch calls (fastapi.json_body, parse_where, encoded, schemas) --


def json_decoder(kind: type[BaseModel]) -> Callable[[str | bytes], Any]:
    """``raw -> kind``: JSON validated by pydantic, by wire names only (``and``, not ``and_``,
    as msgspec reads them); a :class:`ValidationError` says what is wrong (:func:`error_of`)."""
    validate = kind.model_validate_json

    def decode(raw: str | bytes) -> Any:
        try:
            return validate(raw, by_alias=True, by_name=False)
        except RecursionError:  # nested past the interpreter's limit: one more "too deep"
            raise ValueError(f"filters nest deeper than {MAX_FILTER_DEPTH} levels") from None

    return decode


def error_of(kind: type[BaseModel], error: ValidationError) -> tuple[str, str]:
    """(the field, the message) of the first error, the field named as msgspec names it
    (``name``, ``or[0].orders.total.ge``): pydantic's location also holds the union member
    that was tried (``function-after[...]``, ``is-instance[...]``), which names no field."""
    first = error.errors(include_url=False)[0]
    unknown = first["type"] == "extra_forbidden"
    return field_path(kind, first["loc"], unknown=unknown), plain_message(str(first["msg"]))


def plain_message(message: str) -> str:
    """A validator's message without pydantic's "Value error, " before it."""
    return message.removeprefix("Value error, ")


def field_path(kind: type[BaseModel], loc: Sequence[int | str], *, unknown: bool = False) -> str:
    """The path of fields in a pydantic error location, its union tags left out (see error_of):
    the parts that are fields of the model reached so far, and list indexes. ``unknown``: the
    last part is a field the model does not have (an extra input), kept."""
    path = ""
    model: type[BaseModel] | None = kind
    for index, part in enumerate(loc):
        if isinstance(part, int) or (isinstance(part, str) and part.isdigit()):
            path += f"[{part}]"
            continue
        fields = _wire_fields(model) if model is not None else {}
        if part in fields or (unknown and index == len(loc) - 1):
            path += f".{part}" if path else part
            model = _model_in(fields[part]) if part in fields else None
    return path


def _wire_fields(model: type[BaseModel]) -> dict[str, Any]:
    _complete(model)
    return {
        wire: info.annotation
        for wire, info in zip(wire_names(model), model.model_fields.values(), strict=True)
    }


def _complete(model: type[BaseModel]) -> None:
    """Resolve the annotations of a model defined before the modules it names were loaded
    (a DTO module's Filter and nested Reads name other modules' classes: see the template)."""
    if not model.__pydantic_complete__:
        model.model_rebuild()


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model a field holds: itself, a list's item, a union's member."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in get_args(annotation):
        found = _model_in(argument)
        if found is not None:
            return found
    return None


_LIST_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def with_json_items(page: P) -> P:
    """The page (a msgspec Struct) with its items as their JSON, for msgspec's encoder to
    splice in: one pydantic call for the list, not one per item (a twentieth of the time on
    1,000 rows: bench/dto_json.py). Items of several classes are left to the encoder's hook."""
    items: list[Any] = page.items  # type: ignore[attr-defined]
    kind = type(items[0])
    if any(type(item) is not kind for item in items):
        return page
    adapter = _LIST_ADAPTERS.get(kind)
    if adapter is None:
        adapter = _LIST_ADAPTERS[kind] = TypeAdapter(list[kind])  # type: ignore[valid-type]
    return msgspec.structs.replace(page, items=msgspec.Raw(adapter.dump_json(items)))


def json_components(models: list[type[BaseModel]], ref_template: str) -> dict[str, Any]:
    """The JSON schema components of pydantic ``models``, referred to as ``ref_template``
    (msgspec's spelling, ``{name}``)."""
    with warnings.catch_warnings():
        # A field defaulting to UNSET has no default in the schema, which is right: it is
        # absent. Pydantic warns that it cannot encode the marker; that warning says nothing.
        warnings.filterwarnings(
            "ignore", "Default value UNSET is not JSON serializable", PydanticJsonSchemaWarning
        )
        _, document = models_json_schema(
            [(model, "validation") for model in models],
            ref_template=ref_template.replace("{name}", "{model}"),
        )
    components: dict[str, Any] = document.get("$defs", {})
    return components


# --- nested Read models (sublimate_runtime.nested's dispatch) ---------------------------------


def shape_paths(shape: type[BaseModel], prefix: str = "", depth: int = 0) -> list[str]:
    """The relationship paths a nested Read model holds, as nested.shape_paths for Structs."""
    if depth > 8:
        raise TypeError(f"nested Read DTO {shape.__name__} nests deeper than 8 levels")
    _complete(shape)
    found = []
    for (_, name), info in zip(model_names(shape), shape.model_fields.values(), strict=True):
        inner = _model_in(info.annotation)
        if inner is None:
            continue
        found.append(f"{prefix}{name}")  # the relationship: the alias of a renamed field
        found.extend(shape_paths(inner, f"{prefix}{name}.", depth + 1))
    return found


def combined(read: type[BaseModel], shapes: tuple[type[BaseModel], ...], name: str) -> type[Any]:
    """A subclass of ``read`` with the relationship fields of every shape (nested.read_shape).
    A field several shapes hold is merged (:func:`_merged`): with ``nested_depth = 2``,
    ``load=lines&load=lines.product`` keeps ``lines.product``, and two second levels under one
    relationship keep both, as nested._merged does for Structs."""
    own = set(read.model_fields)
    types: dict[str, list[Any]] = {}
    aliases: dict[str, str] = {}  # a renamed field's alias: the relationship's attribute
    for shape in shapes:
        _complete(shape)
        for field, info in shape.model_fields.items():
            if field not in own and info.annotation not in types.get(field, ()):
                types.setdefault(field, []).append(info.annotation)
                if info.alias:
                    aliases[field] = info.alias
    fields: dict[str, Any] = {
        field: (_merged(found), Field(alias=aliases[field]) if field in aliases else ...)
        for field, found in types.items()
    }
    made: type[Any] = create_model(name, __base__=read, __module__=read.__module__, **fields)
    return made


def _merged(types: list[Any]) -> Any:
    """One field's type when several shapes hold it: the deeper shape of one relationship
    (``list[OrderLineRead]`` and ``list[OrderLineReadWithProduct]``: the second), or the
    combination of sibling shapes (``CategoryReadWithChildren | None`` and
    ``CategoryReadWithParent | None``); a hand-written field of other types: the last."""
    if len(types) == 1:
        return types[0]
    inners = [_model_in(t) for t in types]
    origin = get_origin(types[0])
    if any(i is None for i in inners) or not all(get_origin(t) is origin for t in types):
        return types[-1]
    models = [i for i in inners if i is not None]
    base = next(c for c in models[0].__mro__ if all(issubclass(i, c) for i in models))
    if base in (BaseModel, ReadModel) or not issubclass(base, BaseModel):
        return types[-1]  # not shapes of one relationship's Read DTO
    deeper = sorted({i for i in models if i is not base}, key=lambda shape: shape.__name__)
    parts = (shape.__name__.removeprefix(f"{base.__name__}With") for shape in deeper)
    inner = (
        deeper[0]
        if len(deeper) == 1
        else combined(base, tuple(deeper), f"{base.__name__}With" + "And".join(parts))
    )
    if origin is list:
        return list[inner]  # type: ignore[valid-type]
    if origin is None:
        return inner
    return inner | None
