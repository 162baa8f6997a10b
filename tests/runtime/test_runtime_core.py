"""The runtime's core and its optional parts: what an import loads, and what a missing extra says.

``import sublimate_runtime`` and the generated modules of models without a cache load the core
only; the cache, routing, the asyncio flavour (for sync-only code), the Alembic hooks and the
Litestar machinery load on first use. Each check runs in a fresh interpreter: in this one, other
tests have long since imported everything.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sublimate_runtime
from sublimate_runtime.extras import missing_extra

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "generated_example"
GOLDEN = ROOT / "tests" / "golden"

# Modules that the core must not load (the cache, routing, the extras' modules and their helpers,
# and what only an HTTP layer or a PostgreSQL DOMAIN needs).
OPTIONAL = {
    "cache",
    "cache_codec",
    "cache_invalidation",
    "cache_model",
    "cache_outage",
    "cache_rows",
    "cache_store",
    "cache_tokens",
    "routing",
    "migrations",
    "migration_compare",
    "migration_sequences",
    "litestar",
    "fastapi",
    "pydantic_dto",
    "extras",
    "error_details",
    "domain",
}
ASYNC = {"repository_async", "repository_id_async", "service_async", "service_id_async"}
# Query features, loaded with their first use: keyset pages, nested reads (`*_with`), bulk
# inserts, the error path (a refused write), soft deletes, a typed query's keyset pages.
FEATURES = {
    "keyset": "list_after",
    "keyset_cursor": "list_after",
    "service_shapes": "list_with",
    "nested_rows": "list_with",
    "bulk_insert": "insert_many",
    "integrity": "refused",
    "data_errors": "refused",
    "unsupported": "a write the database refuses as unsupported",
    "repository_soft": "soft delete",
    "repository_soft_async": "soft delete",
    "not_loaded": "an unloaded relationship read",
    "query_pages": "typed query",
}
# What every generated repository and service stands on: loaded whatever else joins the core.
CORE_BASES = {"repository", "repository_spec", "repository_id", "service", "service_id", "intents"}
THIRD_PARTY_OPTIONS = (
    "dogpile",
    "redis",
    "alembic",
    "litestar",
    "fastapi",
    "pydantic",
    "sqlalchemy.ext.asyncio",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Loaded:
    """What a fresh interpreter loaded, and the value its code left in ``out``."""

    modules: frozenset[str]  # sublimate_runtime's submodules, without the package prefix
    options: tuple[str, ...]  # the optional third-party packages among THIRD_PARTY_OPTIONS
    out: Any


REPORT = """
prefix = "sublimate_runtime."
loaded = [n.removeprefix(prefix) for n in sys.modules if n.startswith(prefix)]
options = [n for n in json.loads(OPTIONS) if sys.modules.get(n) is not None]
print(json.dumps({"modules": loaded, "options": options, "out": out}))
"""


def run(code: str, *, cwd: Path = ROOT, block: tuple[str, ...] = ()) -> Loaded:
    """Run ``code`` in a fresh interpreter, with the packages of ``block`` uninstallable."""
    prelude = "".join(f"sys.modules[{name!r}] = None\n" for name in block)
    options = json.dumps(THIRD_PARTY_OPTIONS)
    script = (
        f"import json, sys\n{prelude}OPTIONS = {options!r}\nout = None\n"
        f"{textwrap.dedent(code)}\n{REPORT}"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(cwd), str(ROOT / "runtime")])}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=cwd, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    return Loaded(
        modules=frozenset(report["modules"]), options=tuple(report["options"]), out=report["out"]
    )


def failure(code: str, *, block: tuple[str, ...]) -> list[str]:
    """The stderr lines of ``code`` run with ``block`` uninstallable; it must fail."""
    prelude = "import sys\n" + "".join(f"sys.modules[{name!r}] = None\n" for name in block)
    done = subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0, done.stdout
    return done.stderr.strip().splitlines()


def test_the_package_alone_loads_the_sync_core() -> None:
    result = run("import sublimate_runtime")
    loaded = result.modules
    assert loaded >= CORE_BASES
    assert loaded.isdisjoint(OPTIONAL | ASYNC), sorted(loaded & (OPTIONAL | ASYNC))
    assert result.options == ()


def test_the_example_repositories_and_services_load_only_the_core() -> None:
    """Every model of the example is uncached: its generated modules (sync and asyncio classes)
    load the core and the asyncio twins, nothing of the cache, routing or the extras."""
    modules = sorted(
        f"shop.db.{kind}.{path.stem}"
        for kind in ("repositories", "services")
        for path in (EXAMPLE / "shop" / "db" / kind).glob("*.py")
        if path.stem != "__init__"
    )
    assert len(modules) >= 4, modules
    result = run("\n".join(f"import {name}" for name in modules), cwd=EXAMPLE)
    loaded = result.modules
    assert loaded >= CORE_BASES | ASYNC
    assert loaded.isdisjoint(OPTIONAL | set(FEATURES)), sorted(loaded & (OPTIONAL | set(FEATURES)))
    assert result.options == ()


def test_each_query_feature_loads_with_its_first_use() -> None:
    """Plain CRUD through a generated service runs on the core; each feature's modules load when
    it is first used, and only then."""
    code = """
        import sys
        from sublimate_runtime import ConflictError, create_engine, session_factory
        from shop.models import Base
        from shop.db.custom.customer import CustomerService
        from shop.db.services.order import OrderService  # not extended: the generated one
        from shop.db.dtos.customer import CustomerCreate, CustomerUpdate
        from shop.db.dtos.order import OrderReadWithLines

        def features():
            prefix = "sublimate_runtime."
            names = [n.removeprefix(prefix) for n in sys.modules if n.startswith(prefix)]
            return sorted(set(names) & set(FEATURES))

        engine = create_engine()
        Base.metadata.create_all(engine)
        out = {}
        with session_factory(engine)() as session:
            customers = CustomerService(session)
            made = customers.create(CustomerCreate(email="a@example.org", name="Ann"))
            customers.update(made.id, CustomerUpdate(name="Anna"))
            customers.list(order_by=["-name"])
            customers.count()
            customers.get(made.id)
            out["crud"] = features()
            customers.list_after(limit=1)
            out["list_after"] = features()
            OrderService(session).list_with(OrderReadWithLines)
            out["list_with"] = features()
            customers.create_many([CustomerCreate(email="b@example.org", name="Bob")])
            out["insert_many"] = features()
            try:
                customers.create(CustomerCreate(email="a@example.org", name="Ann again"))
            except ConflictError:
                out["refused"] = features()
        """
    prelude = f"FEATURES = {sorted(FEATURES)!r}\n"
    out = run(prelude + textwrap.dedent(code), cwd=EXAMPLE).out
    steps = ["crud", "list_after", "list_with", "insert_many", "refused"]
    assert list(out) == steps, out
    assert out["crud"] == [], out["crud"]
    for before, step in itertools.pairwise(steps):
        added = set(out[step]) - set(out[before])
        expected = {module for module, feature in FEATURES.items() if feature == step}
        assert added == expected, (step, sorted(added))
    unused = {module for module, feature in FEATURES.items() if feature not in steps}
    assert unused.isdisjoint(out["refused"]), out["refused"]


def test_sync_only_generated_code_loads_no_asyncio_flavour() -> None:
    case = GOLDEN / "sessions_sync"
    modules = sorted(
        f"syncapp.db.{kind}.{path.stem}"
        for kind in ("repositories", "services")
        for path in (case / "syncapp" / "db" / kind).glob("*.py")
        if path.stem != "__init__"
    )
    result = run("\n".join(f"import {name}" for name in modules), cwd=case)
    loaded = result.modules
    assert loaded >= CORE_BASES
    assert loaded.isdisjoint(OPTIONAL | ASYNC), sorted(loaded & (OPTIONAL | ASYNC))
    assert result.options == ()


def test_a_cached_model_loads_the_cache_machinery_and_reads_without_dogpile() -> None:
    """``RepositorySpec(cached=True)`` imports the cache on first need. Without an attached
    ``Cache`` (so without dogpile installed) the cached repository reads from the database."""
    code = """
        from sublimate_runtime import create_engine, session_factory
        from prod.models import Account, Base
        from prod.db.repositories.account import SPEC, AccountRepository

        engine = create_engine()
        Base.metadata.create_all(engine)
        with session_factory(engine)() as session:
            session.add(Account(id=7, email="a@example.org", name="Ann"))
            session.commit()
            repository = AccountRepository(session)
            out = [type(SPEC.cache).__name__, repository.get(7).name,
                   repository.get_by_email("a@example.org").id]
        """
    result = run(code, cwd=GOLDEN / "production", block=("dogpile",))
    loaded = result.modules
    assert result.out == ["ModelCache", "Ann", 7]
    assert "cache_model" in loaded
    assert "cache" not in loaded  # the Cache (the region's owner) is never needed here
    assert loaded.isdisjoint({"routing", "migrations", "litestar"})
    assert result.options == ()


@pytest.mark.parametrize(
    ("code", "blocked", "message"),
    [
        (
            "from sublimate_runtime import Cache",
            "dogpile",
            "sublimate_runtime.cache needs dogpile: pip install 'sublimate-runtime[cache]'",
        ),
        (
            "import sublimate_runtime.migrations",
            "alembic",
            "sublimate_runtime.migrations needs alembic: "
            "pip install 'sublimate-runtime[migrations]'",
        ),
        (
            "import sublimate_runtime.litestar",
            "litestar",
            "sublimate_runtime.litestar needs litestar: pip install 'sublimate-runtime[litestar]'",
        ),
        (
            "import sublimate_runtime.fastapi",
            "fastapi",
            "sublimate_runtime.fastapi needs fastapi: pip install 'sublimate-runtime[fastapi]'",
        ),
        (
            """
            import os
            os.environ["SUBLIMATE_CACHE_URL"] = "redis://127.0.0.1:6379/0"
            from sublimate_runtime.litestar import cache_from_environment
            cache_from_environment()
            """,
            "redis",
            "SUBLIMATE_CACHE_URL needs redis: pip install 'sublimate-runtime[redis]'",
        ),
        (
            "import sublimate_runtime.pydantic_dto",
            "pydantic",
            "sublimate_runtime.pydantic_dto needs pydantic:"
            " pip install 'sublimate-runtime[pydantic]'",
        ),
    ],
    ids=["cache", "migrations", "litestar", "fastapi", "redis", "pydantic"],
)
def test_a_missing_extra_fails_at_import_with_one_line_naming_it(
    code: str, blocked: str, message: str
) -> None:
    lines = failure(code, block=(blocked,))
    assert lines[-1] == f"ImportError: {message}"
    assert not any("During handling" in line for line in lines), lines  # no chained traceback


def test_missing_extra_leaves_other_missing_modules_as_they_are() -> None:
    """A broken install of the extra's package (one of its own dependencies missing) is not
    fixed by installing the extra: that error is raised unchanged."""
    inner = ModuleNotFoundError("No module named 'mako'", name="mako")
    assert missing_extra(inner, extra="migrations", needed_by="x") is inner
    outer = ModuleNotFoundError("No module named 'alembic.op'", name="alembic.op")
    error = missing_extra(outer, extra="migrations", needed_by="x")
    assert str(error) == "x needs alembic: pip install 'sublimate-runtime[migrations]'"


def test_every_public_name_resolves_where_it_is_defined() -> None:
    """The lazy names are the defining module's objects, listed by ``dir()``, and kept once read;
    an unknown name is an AttributeError, as on any module."""
    lazy = sublimate_runtime._ON_FIRST_USE
    for module, names in lazy.items():
        for name in names:
            value = getattr(sublimate_runtime, name)
            assert value.__module__ == f"sublimate_runtime.{module}", name
            assert vars(sublimate_runtime)[name] is value
    every = {name for names in lazy.values() for name in names}
    assert every <= set(sublimate_runtime.__all__)
    assert set(sublimate_runtime.__all__) <= set(dir(sublimate_runtime))
    for name in sublimate_runtime.__all__:
        assert getattr(sublimate_runtime, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'Nonexistent'"):
        sublimate_runtime.Nonexistent  # noqa: B018


def test_lazy_names_are_typed_for_mypy(tmp_path: Path) -> None:
    """``__getattr__`` returns Any: without the TYPE_CHECKING imports every optional name would
    type-check as Any. Misusing them must be an error."""
    source = tmp_path / "use.py"
    source.write_text(
        textwrap.dedent(
            """
            from sublimate_runtime import AsyncRepository, Cache, Router, Violation

            router: int = Router  # wrong on purpose
            cache: str = Cache  # wrong on purpose
            Violation(None, None, None)  # too many arguments
            reveal_type(AsyncRepository)
            """
        )
    )
    mypy = Path(sys.executable).with_name("mypy")
    done = subprocess.run(
        [mypy, "--strict", source],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = done.stdout
    assert 'type "type[Router]", variable has type "int"' in out, out
    assert 'type "type[Cache]", variable has type "str"' in out, out
    assert 'Too many arguments for "Violation"' in out, out
    assert "sublimate_runtime.repository_async.AsyncRepository" in out, out
