"""The `sessions` setting: one session kind gives only that kind's repositories and services.

The example models are generated once per flavour (sync-only from the command line, async-only
from pyproject.toml) into scratch copies; each output is checked for its classes, `mypy --strict`
and `ruff check`, then imported and driven through a small CRUD round trip on SQLite (aiosqlite
for the asyncio one).
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from .helpers import copy_example, run_cli

BIN = Path(sys.executable).parent
MODELS = ("category", "customer", "order", "order_line", "product", "tag")


def _classes(path: Path) -> set[str]:
    return {n.name for n in ast.parse(path.read_text()).body if isinstance(n, ast.ClassDef)}


def _exported(project: Path) -> list[str]:
    """The package's `__all__`."""
    for node in ast.parse((project / "shop" / "db" / "__init__.py").read_text()).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "__all__":
            return list(ast.literal_eval(node.value))
    raise AssertionError("no __all__")


def _set_sessions(project: Path, value: str) -> None:
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text()
    pyproject.write_text(
        text.replace('out = "shop/db"\n', f'out = "shop/db"\nsessions = {value}\n')
    )


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """The example generated sync-only (`--sessions sync`) and async-only (pyproject.toml), every
    model with its user module."""
    root = tmp_path_factory.mktemp("sessions")
    sync = copy_example(root / "sync")
    result = run_cli("extend", "--all", "--sessions", "sync", cwd=sync)
    assert result.returncode == 0, result.stderr
    asyncio = copy_example(root / "async")
    _set_sessions(asyncio, '["async"]')
    result = run_cli("extend", "--all", cwd=asyncio)
    assert result.returncode == 0, result.stderr
    yield {"sync": sync, "async": asyncio}


SYNC_CLASSES = {"CustomerRepository", "CustomerService"}
ASYNC_CLASSES = {"AsyncCustomerRepository", "AsyncCustomerService"}


@pytest.mark.parametrize(("flavour", "present", "absent"), [
    ("sync", SYNC_CLASSES, ASYNC_CLASSES),
    ("async", ASYNC_CLASSES, SYNC_CLASSES),
])  # fmt: skip
def test_one_flavour_prints_only_its_classes(
    outputs: dict[str, Path], flavour: str, present: set[str], absent: set[str]
) -> None:
    db = outputs[flavour] / "shop" / "db"
    classes = (
        _classes(db / "repositories" / "customer.py")
        | _classes(db / "services" / "customer.py")
        | _classes(db / "custom" / "customer.py")
    )
    assert present <= classes
    assert not classes & absent
    exported = set(_exported(outputs[flavour]))
    assert present <= exported
    assert not exported & absent
    for module in MODELS:  # every model, not just the one looked at closely
        names = _classes(db / "repositories" / f"{module}.py")
        assert all(name.startswith("Async") == (flavour == "async") for name in names), names
    repository = (db / "repositories" / "customer.py").read_text()
    # Only the runtime base of its own flavour is imported (ruff checks nothing unused is left).
    runtime = {
        alias.name
        for node in ast.walk(ast.parse(repository))
        if isinstance(node, ast.ImportFrom) and node.module == "sublimate_runtime"
        for alias in node.names
    }
    assert ("AsyncIdRepository" in runtime) == (flavour == "async")
    assert ("IdRepository" in runtime) == (flavour == "sync")


def test_one_flavour_output_is_mypy_strict_and_ruff_clean(
    outputs: dict[str, Path], mypy_cache: Path
) -> None:
    for flavour, project in outputs.items():
        mypy = subprocess.run(
            [str(BIN / "mypy"), "--strict", "--cache-dir", str(mypy_cache), "shop"],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert mypy.returncode == 0, flavour + ": " + mypy.stdout + mypy.stderr
        ruff = subprocess.run(
            [str(BIN / "ruff"), "check", "--no-cache", "shop"],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert ruff.returncode == 0, flavour + ": " + ruff.stdout + ruff.stderr


_SYNC_ROUND_TRIP = """
    import shop.db as db
    from sqlalchemy.orm import Session
    from sublimate_runtime import create_engine
    from shop.models import Base

    assert not hasattr(db, "AsyncCustomerService")
    engine = create_engine()
    Base.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        customers = db.CustomerService(session, auto_commit=True)
        ann = customers.create(db.CustomerCreate(email="ann@example.com", name="Ann"))
        assert customers.get(ann.id).name == "Ann"
        assert customers.update(ann.id, db.CustomerUpdate(name="Ann Lee")).name == "Ann Lee"
        assert customers.count() == 1
        customers.delete(ann.id)
        assert customers.count() == 0
    print("round trip ok")
"""

_ASYNC_ROUND_TRIP = """
    import asyncio
    import shop.db as db
    from sqlalchemy.ext.asyncio import AsyncSession
    from sublimate_runtime import create_async_engine
    from shop.models import Base

    assert not hasattr(db, "CustomerService")

    async def main() -> None:
        engine = create_async_engine("sqlite+aiosqlite:///round_trip.db")
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        async with AsyncSession(engine, expire_on_commit=False) as session:
            customers = db.AsyncCustomerService(session, auto_commit=True)
            ann = await customers.create(db.CustomerCreate(email="ann@example.com", name="Ann"))
            assert (await customers.get(ann.id)).name == "Ann"
            updated = await customers.update(ann.id, db.CustomerUpdate(name="Ann Lee"))
            assert updated.name == "Ann Lee"
            assert await customers.count() == 1
            await customers.delete(ann.id)
            assert await customers.count() == 0
        await engine.dispose()

    asyncio.run(main())
    print("round trip ok")
"""


@pytest.mark.parametrize(("flavour", "script"), [
    ("sync", _SYNC_ROUND_TRIP),
    ("async", _ASYNC_ROUND_TRIP),
])  # fmt: skip
def test_one_flavour_package_imports_and_round_trips_on_sqlite(
    outputs: dict[str, Path], flavour: str, script: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        cwd=outputs[flavour],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "round trip ok"


@pytest.mark.parametrize(("flag", "config", "message"), [
    (["--sessions", "sync,trio"], None, "unknown session kind 'trio'"),
    ([], "[]", "sessions is empty"),
    (["--sessions", " , "], None, "sessions is empty"),
    ([], '"fast"', "unknown session kind 'fast'"),
    ([], "true", "sessions must be a list of strings"),
])  # fmt: skip
def test_bad_sessions_setting_is_one_line_and_exit_2(
    tmp_path: Path, flag: list[str], config: str | None, message: str
) -> None:
    project = copy_example(tmp_path / "example")
    if config is not None:
        _set_sessions(project, config)
    result = run_cli("generate", *flag, cwd=project)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not (project / "shop" / "db").exists()


def test_litestar_with_sync_sessions_only_is_refused(tmp_path: Path) -> None:
    project = copy_example(tmp_path / "example")
    _set_sessions(project, '["sync"]\nlitestar = true')
    result = run_cli("generate", cwd=project)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert "litestar = true needs the async classes" in result.stderr


def test_switching_regenerates_and_warns_about_user_modules_it_never_rewrites(
    tmp_path: Path,
) -> None:
    """both -> sync: the repositories and services are rewritten (the setting is in the cache key
    and the manifest), the user modules are not, and each one that subclasses a class no longer
    generated is named; sync -> both: each one lacking a class the package exports is named."""
    project = copy_example(tmp_path / "example")
    first = run_cli("extend", "--all", cwd=project)
    assert first.returncode == 0 and "warning" not in first.stderr, first.stderr
    db = project / "shop" / "db"
    with (db / "custom" / "customer.py").open("a") as user_module:  # a name that stays generated
        user_module.write("\n\nWhere = repositories.CustomerWhere\n")
    custom = {path.name: path.read_bytes() for path in (db / "custom").glob("*.py")}

    stale = run_cli("check", "--sessions", "sync", cwd=project)
    assert stale.returncode == 1
    assert "sessions: ['sync', 'async'] → ['sync']" in stale.stdout

    switched = run_cli("generate", "--sessions", "sync", cwd=project)
    assert switched.returncode == 0, switched.stderr
    # 6 repositories, 6 services, the package's and both subpackages' __init__.py: the input keys
    # of the repositories and services would otherwise serve their sync-and-async text again.
    assert "15 written, 10 unchanged" in switched.stderr
    assert not ASYNC_CLASSES & _classes(db / "repositories" / "customer.py")
    assert {path.name: path.read_bytes() for path in (db / "custom").glob("*.py")} == custom
    warnings = [line for line in switched.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == len(MODELS), switched.stderr
    assert (
        "warning: custom/customer.py uses repositories.AsyncCustomerRepository,"
        " services.AsyncCustomerService, which the generated code no longer has"
    ) in switched.stderr
    checked = run_cli("check", "--sessions", "sync", cwd=project)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "warning: custom/customer.py uses repositories.AsyncCustomerRepository" in (
        checked.stderr
    )

    # The user deletes their modules and gets sync-only ones; then goes back to both kinds.
    for name in custom:
        if name != "__init__.py":
            (db / "custom" / name).unlink()
    assert run_cli("extend", "--all", "--sessions", "sync", cwd=project).returncode == 0
    sync_custom = (db / "custom" / "tag.py").read_bytes()
    back = run_cli("generate", cwd=project)
    assert back.returncode == 0, back.stderr
    assert (db / "custom" / "tag.py").read_bytes() == sync_custom
    assert (
        "warning: custom/tag.py does not define AsyncTagRepository, AsyncTagService, which the"
        " package exports from it"
    ) in back.stderr
