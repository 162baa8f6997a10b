"""What a repository or service prints about the model's keys: the parameters a key's columns
get, the unique-key getters, the conflict targets of upserts, the runtime base class."""

from __future__ import annotations

import builtins
from dataclasses import dataclass

from .. import naming
from ..ir import Entity, UniqueKey
from .fields import dto_type, optional


@dataclass(frozen=True, slots=True, kw_only=True)
class Getter:
    """`get_by_<key>`: one per unique key that is not the primary key."""

    method: str
    params: str
    label: str
    name: str  # the unique key's name (the spec's keys entry, a ModelCache key)
    values: str  # "(email,)": the looked-up values as a tuple


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyView:
    pk_params: str  # "id: int" or "order_id: int, product_id: int"
    pk_args: str  # "id" or "order_id, product_id"
    pk_ident: str  # "(id,)": the key as a tuple, what the runtime base takes
    pk_key_type: str  # delete_many's element type: "int" or "tuple[int, int]"
    pk_tuple_type: str  # the keyset cursor's type
    unique_getters: tuple[Getter, ...]
    spec_keys: str  # the RepositorySpec's `keys`: '(Key("pk_tags", "id", primary=True),)'
    key_literals: str  # the <M>Key Literal's members
    default_conflict: str
    put_conflict: str
    service_on: str
    service_on_default: bool  # else the runtime base's `upsert(data, *, on)` is the signature


def key_view(entity: Entity, module_names: frozenset[str]) -> KeyView:
    taken = naming.METHOD_LOCALS | naming.FORMER_MODULE_NAMES | module_names
    params = naming.Scope(reserved=taken | set(dir(builtins)) - {"id"})
    param_of = {
        c.attr: params.allocate(c.attr if c.attr not in params else f"{c.attr}_")
        for c in entity.columns
    }
    pk = entity.pk_columns
    names = [param_of[c.attr] for c in pk]
    types = [c.python_type for c in pk]
    getters = []
    for key in entity.unique_keys:
        if key.is_primary:
            continue
        columns = [entity.column(attr) for attr in key.columns]
        getters.append(
            Getter(
                method=f"get_by_{key.name}",
                params=", ".join(f"{param_of[c.attr]}: {optional(c)}" for c in columns),
                label=naming.comment_text(" and ".join(key.columns)),
                name=key.name,
                values=tuple_expr([param_of[c.attr] for c in columns]),
            )
        )
    default_conflict, put_conflict = upsert_defaults(entity)
    return KeyView(
        pk_params=", ".join(f"{n}: {t}" for n, t in zip(names, types, strict=True)),
        pk_args=", ".join(names),
        pk_ident=tuple_expr(names) if pk else "()",
        pk_key_type=types[0] if len(pk) == 1 else f"tuple[{', '.join(types)}]",
        # The cursor's type is bounded as the DTO fields are: a tampered cursor is an
        # InvalidCursorError, not a value the database refuses.
        pk_tuple_type=f"tuple[{', '.join(dto_type(c) for c in pk)}]" if pk else "tuple[()]",
        unique_getters=tuple(getters),
        spec_keys=_spec_keys(entity.unique_keys),
        key_literals=", ".join(naming.literal(k.name) for k in entity.unique_keys),
        default_conflict=default_conflict,
        put_conflict=put_conflict,
        service_on=_service_on(entity, default_conflict),
        service_on_default=_create_carries_the_key(entity),
    )


def tuple_expr(items: list[str]) -> str:
    return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"


def _spec_keys(keys: tuple[UniqueKey, ...]) -> str:
    """The unique keys as the spec declares them: a tuple, each key named by its columns as the
    runtime names it (naming.key_name's rule), or a mapping when a name had to differ (two keys
    on the same columns)."""
    if not keys:
        return ""
    if all(k.name == naming.key_name(k.columns) for k in keys):
        return tuple_expr([_unique_key_spec(k) for k in keys])
    return "{" + ", ".join(f"{naming.literal(k.name)}: {_unique_key_spec(k)}" for k in keys) + "}"


def _unique_key_spec(key: UniqueKey) -> str:
    """`Key("uq_customers_email", "email")`: the runtime's compact UniqueKeySpec, the database
    column names printed only where they differ from the attributes."""
    args = [naming.literal(key.constraint_name), *(naming.literal(c) for c in key.columns)]
    if key.sql_columns != key.columns:
        args.append(f"sql={naming.literal(key.sql_columns)}")
    if key.is_primary:
        args.append("primary=True")
    return f"Key({', '.join(args)})"


def upsert_defaults(entity: Entity) -> tuple[str, str]:
    """The default `on` of `upsert`/`upsert_many`, and the key the Litestar PUT upserts on.

    The default is the primary key, always: adding a unique key to a table must not change what
    an existing `upsert(data)` call matches on (it once moved from `id` to a new `slug` key
    without a word). Upserting on a natural key is explicit: `upsert(data, on="email")`. The
    PUT route takes a Create DTO, which leaves a surrogate key out, so it names its key in the
    generated code: the first unique key other than the primary key (by name), else the primary
    key. Tables without a primary key are read-only: no upsert, both are "".
    """
    keys = entity.unique_keys
    primary = next((k.name for k in keys if k.is_primary), keys[0].name if keys else "")
    natural = next((k.name for k in keys if not k.is_primary), primary)
    return primary, natural


def _service_on(entity: Entity, default_conflict: str) -> str:
    """The service upsert takes a <M>Create, which leaves server-generated key columns out: an
    upsert on such a primary key could never match a row and would always insert. So `on` has a
    default only when <M>Create carries every primary-key column; otherwise the caller names the
    key (`upsert(data, on="email")`), and adding a unique key still changes nothing."""
    annotation = f"on: {entity.names.key}"
    if _create_carries_the_key(entity):
        return f"{annotation} = {naming.literal(default_conflict)}"
    return annotation


def _create_carries_the_key(entity: Entity) -> bool:
    return bool(entity.primary_key) and not any(c.server_generated for c in entity.pk_columns)
