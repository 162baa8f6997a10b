"""What sublimate writes: the output plan as data (`OUTPUTS`: a template, a path, when) and the
files a run produces (`OutputFile`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .ir import Entity


@dataclass(frozen=True, slots=True, kw_only=True)
class OutputFile:
    path: str  # relative to the output package, POSIX separators
    content: str  # "" for a user file that already exists (never rewritten, so never rendered)
    source: str  # what it was generated from, for the header and messages
    entity: str = ""  # the model it belongs to; "" for package-level files
    user: bool = False  # written once when absent, never overwritten, no header
    render: str = ""  # cache.render_hash of the unformatted render
    input: str = ""  # cache input key (per-model generated files)


@dataclass(frozen=True, slots=True, kw_only=True)
class Output:
    template: str
    path: str  # may contain {module}
    per_entity: bool
    python: bool = True  # formatted by black, headed with a hash
    when: Callable[[Entity], bool] = lambda entity: True
    user: bool = False  # the user's file: written once when absent, never overwritten, no header
    # Whether a per-entity render reads other entities than its own (beyond their names): the
    # render cache then treats any change to the IR as a change to this file.
    reads_schema: bool = False
    database: bool = False  # only when the models are generated (live-database input)
    setting: str = ""  # only when this boolean Settings field is true (e.g. "litestar")
    dto: str = ""  # only with this `dto` setting ("msgspec" or "pydantic")


# The user's modules: written once when asked for (`sublimate extend`), never overwritten.
USER_MODULE = Output(
    template="user_module.py.jinja", path="custom/{module}.py", per_entity=True, user=True
)
USER_PACKAGE = Output(
    template="user_package_init.py.jinja", path="custom/__init__.py", per_entity=False, user=True
)


def user_module_path(entity: Entity) -> str:
    """`custom/customer.py`: where a model's user module is, relative to the output."""
    return USER_MODULE.path.format(module=entity.names.module)


OUTPUTS: tuple[Output, ...] = (
    Output(
        template="dtos.py.jinja",
        path="dtos/{module}.py",
        per_entity=True,
        reads_schema=True,  # the Filter's relationship fields name their targets' modules
        # ... and the Load enum's second level names the relationships of its neighbours
        dto="msgspec",
    ),
    Output(
        template="dtos_pydantic.py.jinja",
        path="dtos/{module}.py",
        per_entity=True,
        reads_schema=True,  # as dtos.py.jinja
        dto="pydantic",
    ),
    Output(template="repository.py.jinja", path="repositories/{module}.py", per_entity=True),
    Output(template="service.py.jinja", path="services/{module}.py", per_entity=True),
    # The user's modules: written once when asked for, never overwritten (README, "Your code").
    USER_MODULE,
    USER_PACKAGE,
    Output(template="package_init.py.jinja", path="__init__.py", per_entity=False),
    Output(template="subpackage_init.py.jinja", path="dtos/__init__.py", per_entity=False),
    Output(template="subpackage_init.py.jinja", path="repositories/__init__.py", per_entity=False),
    Output(template="subpackage_init.py.jinja", path="services/__init__.py", per_entity=False),
    Output(template="migrations/env.py.jinja", path="migrations/env.py", per_entity=False),
    Output(
        template="migrations/script.py.mako.jinja",
        path="migrations/script.py.mako",
        per_entity=False,
        python=False,
    ),
    Output(
        template="migrations/alembic.ini.jinja",
        path="migrations/alembic.ini",
        per_entity=False,
        python=False,
    ),
    # Litestar controllers and app factory, with `litestar = true` in [tool.sublimate].
    Output(
        template="litestar/controller.py.jinja",
        path="controllers/{module}.py",
        per_entity=True,
        reads_schema=True,  # `load` names the nested Read DTOs, one per generated neighbour
        setting="litestar",
    ),
    Output(
        template="subpackage_init.py.jinja",
        path="controllers/__init__.py",
        per_entity=False,
        setting="litestar",
    ),
    Output(template="litestar/app.py.jinja", path="app.py", per_entity=False, setting="litestar"),
    # FastAPI routers and app factory, with `fastapi = true` (sublimate.views.router).
    Output(
        template="fastapi/router.py.jinja",
        path="routers/{module}.py",
        per_entity=True,
        reads_schema=True,  # `load` names the nested Read DTOs, one per generated neighbour
        setting="fastapi",
    ),
    Output(
        template="subpackage_init.py.jinja",
        path="routers/__init__.py",
        per_entity=False,
        setting="fastapi",
    ),
    Output(
        template="fastapi/app.py.jinja", path="fastapi_app.py", per_entity=False, setting="fastapi"
    ),
    # Test data factories and pytest fixtures, with `factories = true` (sublimate.views.factory).
    Output(
        template="factories/factory.py.jinja",
        path="factories/{module}.py",
        per_entity=True,
        when=lambda entity: entity.writable,
        reads_schema=True,  # a foreign key's parent: its model, key attributes and factory
        setting="factories",
    ),
    Output(
        template="factories/package.py.jinja",
        path="factories/__init__.py",
        per_entity=False,
        setting="factories",
    ),
    Output(
        template="factories/testing.py.jinja",
        path="testing.py",
        per_entity=False,
        setting="factories",
    ),
    # Typed declarative models, when the input is a live database (see sublimate.model_views).
    Output(
        template="models/model.py.jinja",
        path="models/{module}.py",
        per_entity=True,
        database=True,
        reads_schema=True,  # relationships and foreign keys read their targets (neighbours)
    ),
    Output(
        template="models/base.py.jinja", path="models/_base.py", per_entity=False, database=True
    ),
    Output(
        template="models/package.py.jinja",
        path="models/__init__.py",
        per_entity=False,
        database=True,
    ),
)

# Typed SQL (sublimate.queries): a module per annotated .sql file, and their package, planned
# only when the project has query files (so a project without any gets exactly what it got).
QUERY_OUTPUT = Output(template="queries.py.jinja", path="queries/{module}.py", per_entity=False)
QUERY_PACKAGE_OUTPUT = Output(
    template="subpackage_init.py.jinja", path="queries/__init__.py", per_entity=False
)

SUBPACKAGE_TITLES = {
    "queries/__init__.py": "Typed queries, one module per annotated .sql file.",
    "dtos/__init__.py": "msgspec DTOs, one module per model.",
    "repositories/__init__.py": "Repositories (sync and async), one module per model.",
    "services/__init__.py": "Services (sync and async), one module per model.",
    "controllers/__init__.py": "Litestar controllers, one module per model (see app.py).",
    "routers/__init__.py": "FastAPI routers, one module per model (see fastapi_app.py).",
}
