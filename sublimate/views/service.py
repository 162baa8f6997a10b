"""What a generated service module prints beyond `EntityView`: one class per session kind.

Every method whose signature is the same for all models is the runtime's (`ServiceBase` and its
twins in `sublimate_runtime.service`); a generated class names its base with the model's types as
type arguments, so the inherited signatures are the model's, and adds the methods whose signature
is its own (the key's parameters, upsert's `on`). Which base and which type arguments is decided
here, where a test can see it; the template only prints.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import sessions
from ..ir import Entity, Import
from .entity import EntityView


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceClass:
    """One generated service class (sync or asyncio)."""

    is_async: bool
    name: str  # CustomerService
    base: str  # ServiceBase[Customer, CustomerRead, ...]: the runtime base and its type arguments
    repository: str  # CustomerRepository
    # `get_with`'s shape parameter, printed for a model whose `get` is printed (a key that is not
    # one `id` column) and that has nested Read DTOs; "" when it is not printed.
    shape_param: str
    keyset: bool  # prints `list_after` and `list_after_with` (see keyset_printed)


# What a printed `get_with` names (imported only where printed: unused imports are dropped).
NESTED_IMPORTS: tuple[Import, ...] = (
    ("sublimate_runtime", "KeysetPage"),
    ("sublimate_runtime", "ShapeT"),
    ("sublimate_runtime", "shape_paths"),
    ("sublimate_runtime", "to_shape"),
    ("sublimate_runtime.service", "keyset_page"),
    ("sublimate_runtime.service", "keyset_page_with"),
    ("sublimate_runtime.service_async", "async_keyset_page"),
    ("sublimate_runtime.service_async", "async_keyset_page_with"),
)


def keyset_printed(entity: Entity, view: EntityView) -> bool:
    """Whether the service prints `list_after` and `list_after_with`: a read-only model with a
    key that is not one `id` column (the other keyed bases have them, the key-less have none)."""
    return bool(entity.primary_key) and not entity.writable and not view.by_id


def build(
    entity: Entity, view: EntityView, flavours: sessions.Flavours
) -> tuple[ServiceClass, ...]:
    """The entity's service classes, in the order the `sessions` setting prints them."""
    n = entity.names
    arguments = [view.model, n.read, view.where_alias, view.order_alias]
    if entity.writable:  # a view or a key-less table has no Create DTO and no upsert
        arguments += [n.create, n.key]
    kind = "ServiceBase" if entity.writable else "ReadOnlyServiceBase"
    if view.by_id:  # the base has get/update/delete and their hooks too (see views.entity)
        key_type = view.keys.pk_key_type
        arguments += [n.update, key_type] if entity.writable else [key_type]
        kind = f"Id{kind}"
    shape = shape_param(entity, view)
    return tuple(
        ServiceClass(
            is_async=is_async,
            name=n.async_service if is_async else n.service,
            base=f"{'Async' if is_async else ''}{kind}[{', '.join(arguments)}]",
            repository=n.async_repository if is_async else n.repository,
            shape_param=shape,
            keyset=keyset_printed(entity, view),
        )
        for is_async in flavours.kinds
    )


def shape_param(entity: Entity, view: EntityView) -> str:
    """`shape` (`shape_` beside a key parameter of that name), when `get_with` is printed: the
    Id bases have their own. No key parameter shadows what its body calls: those names are
    bound by the module (render's module names), which key parameters keep away from."""
    if not view.nested or not entity.primary_key or view.by_id:
        return ""
    params = set(view.keys.pk_args.split(", "))
    return "shape_" if "shape" in params else "shape"
