"""The user cache is plain data in private directories (issue 13, point 3).

Anyone who can write the cache directory (a shared XDG_CACHE_HOME, a CI cache restored from
elsewhere) must not run code on the next `check`: the IR and reflection caches were pickles, and
Jinja's compiled templates are marshal'ed code. A pickle payload placed as an entry is a miss and
never runs; corrupt or ill-typed JSON is a miss; files are 0600 and directories 0700; compiled
templates load only from files of the user's own that nobody else may write.
"""

from __future__ import annotations

import os
import pickle
import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path

import jinja2
import pytest
import sqlalchemy as sa

from sublimate.introspect.database import build_schema_from_url
from sublimate.introspect.ir_cache import cached_schema
from sublimate.introspect.reflection_cache import ReflectionCache
from sublimate.ir import Schema, to_jsonable
from sublimate.render import _CompiledTemplates
from sublimate.user_cache import user_cache_dir

SCHEMA = Schema(
    source="tests.fake:Base",
    metadata_import=("tests.fake", "Base"),
    metadata_expr="Base.metadata",
    entities=(),
    enums=(),
    diagnostics=(),
)


class _Payload:
    """Unpickling this creates `marker`: what a hostile cache entry would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Callable[..., object], tuple[object, ...]]:
        return (Path.touch, (self.marker,))


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    monkeypatch.delenv("SUBLIMATE_NO_CACHE", raising=False)
    return home


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


class _Builds:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, spec: str) -> Schema:
        self.count += 1
        return SCHEMA


def _ir_entry(cache_home: Path) -> Path:
    (entry,) = (cache_home / "sublimate" / "ir").iterdir()
    return entry


def test_ir_cache_is_private_plain_data(cache_home: Path) -> None:
    build = _Builds()
    assert cached_schema("tests.not_imported", build) == SCHEMA
    assert cached_schema("tests.not_imported", build) == SCHEMA
    assert build.count == 1  # the second came from the cache
    entry = _ir_entry(cache_home)
    assert entry.suffix == ".json"
    assert _mode(entry) == 0o600
    assert _mode(entry.parent) == 0o700 and _mode(entry.parent.parent) == 0o700
    assert not entry.read_bytes().startswith(b"\x80")  # not a pickle


@pytest.mark.parametrize(
    "hostile",
    [
        "pickle",
        "truncated",
        "ill-typed",
        "device",
    ],
)
def test_hostile_ir_cache_entry_is_a_miss(cache_home: Path, tmp_path: Path, hostile: str) -> None:
    build = _Builds()
    cached_schema("tests.not_imported", build)
    entry = _ir_entry(cache_home)
    header, _, body = entry.read_bytes().partition(b"\n")
    marker = tmp_path / "pwned"
    if hostile == "pickle":
        entry.write_bytes(pickle.dumps(_Payload(marker)) + pickle.dumps(_Payload(marker)))
        entry.with_suffix(".pickle").write_bytes(pickle.dumps(_Payload(marker)))  # old format
    elif hostile == "truncated":
        entry.write_bytes(header + b"\n" + body[: len(body) // 2])
    elif hostile == "ill-typed":
        entry.write_bytes(header + b"\n" + body.replace(b'"entities":[]', b'"entities":"x"'))
    else:  # a header naming a device: reading it must not hang or eat memory
        entry.write_bytes(
            header.replace(b'"files":[]', b'"files":[["/dev/zero","x"]]') + b"\n" + body
        )
    assert cached_schema("tests.not_imported", build) == SCHEMA
    assert build.count == 2  # a miss: built again
    assert not marker.exists()
    assert cached_schema("tests.not_imported", build) == SCHEMA
    assert build.count == 2  # and the entry written again is good


SQL = """
CREATE TABLE parent (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL, price NUMERIC(10, 2));
CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent ON DELETE CASCADE,
                    at DATETIME, flag BOOLEAN, data JSON, CHECK (flag IN (0, 1)));
CREATE UNIQUE INDEX ux_child ON child (parent_id, at DESC);
CREATE INDEX ix_partial ON child (at) WHERE at IS NOT NULL;
CREATE VIEW names AS SELECT id, name FROM parent;
"""


def _fresh(path: Path) -> set[str]:
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            cache = ReflectionCache.open(connection, None)
            assert cache is not None
            return set(cache.fresh(["parent", "child", "names"]))
    finally:
        engine.dispose()


def _ir(path: Path, *, use_cache: bool) -> object:
    schema = build_schema_from_url(f"sqlite:///{path}", package="app.db", use_cache=use_cache)
    return to_jsonable(schema)


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "app.db"
    connection = sqlite3.connect(path)
    connection.executescript(SQL)
    connection.close()
    return path


def test_reflection_cache_is_private_plain_data(cache_home: Path, database: Path) -> None:
    cold = _ir(database, use_cache=True)
    assert _fresh(database) == {"parent", "child", "names"}
    assert _ir(database, use_cache=True) == cold == _ir(database, use_cache=False)
    (entry,) = (cache_home / "sublimate" / "reflection").iterdir()
    assert entry.suffix == ".json" and _mode(entry) == 0o600 and _mode(entry.parent) == 0o700
    assert not entry.read_bytes().startswith(b"\x80")


@pytest.mark.parametrize("hostile", ["pickle", "truncated", "ill-typed", "foreign-class"])
def test_hostile_reflection_cache_entry_is_a_miss(
    cache_home: Path, database: Path, tmp_path: Path, hostile: str
) -> None:
    expected = _ir(database, use_cache=True)
    (entry,) = (cache_home / "sublimate" / "reflection").iterdir()
    data = entry.read_bytes()
    marker = tmp_path / "pwned"
    if hostile == "pickle":
        entry.write_bytes(pickle.dumps(_Payload(marker)))
    elif hostile == "truncated":
        entry.write_bytes(data[: len(data) // 2])
    elif hostile == "ill-typed":
        entry.write_bytes(data.replace(b'"~type:type":"INTEGER"', b'"~type:type":7', 1))
    else:  # a class outside sublimate named where a dataclass goes: never looked up
        entry.write_bytes(data.replace(b"sublimate.introspect.raw:RawTable", b"os:system", 1))
    assert data != entry.read_bytes()
    assert _fresh(database) == set()  # a miss
    assert not marker.exists()
    assert _ir(database, use_cache=True) == expected
    assert _fresh(database) == {"parent", "child", "names"}


def test_cache_dir_of_someone_else_is_not_used(cache_home: Path) -> None:
    assert user_cache_dir("ir") is not None
    os.chmod(cache_home / "sublimate" / "ir", 0o777)
    assert user_cache_dir("ir") is not None
    assert _mode(cache_home / "sublimate" / "ir") == 0o700  # ours but too open: closed
    if os.getuid() != 0:
        pytest.skip("giving a directory to another user needs root")
    os.chown(cache_home / "sublimate", 4321, 4321)
    assert user_cache_dir("ir") is None
    assert user_cache_dir("templates") is None


def _planted(directory: Path) -> tuple[jinja2.Environment, str]:
    """A compiled template for "page" whose code prints PWNED, as an attacker would plant it
    (the checksum matches the real source, so only the file's owner and mode can tell)."""
    source = "real page"
    env = jinja2.Environment(loader=jinja2.DictLoader({"page": source}))
    cache = _CompiledTemplates(str(directory))
    key = cache.get_cache_key("page")
    bucket = jinja2.bccache.Bucket(env, key, cache.get_source_checksum(source))
    bucket.code = env.compile("PWNED", "page")
    path = directory / f"__jinja2_{key}.cache"
    path.write_bytes(bucket.bytecode_to_string())
    return jinja2.Environment(loader=env.loader, bytecode_cache=cache), str(path)


def test_compiled_templates_load_only_from_private_files(cache_home: Path) -> None:
    directory = user_cache_dir("templates")
    assert directory is not None
    env, path = _planted(directory)
    os.chmod(path, 0o600)
    assert env.get_template("page").render() == "PWNED"  # the user's own file is trusted
    for mode in (0o666, 0o620, 0o602):
        env, path = _planted(directory)  # a render replaces the file with a good one
        os.chmod(path, mode)
        assert env.get_template("page").render() == "real page", oct(mode)
    if os.getuid() == 0:
        env, path = _planted(directory)
        os.chown(path, 4321, 4321)
        assert env.get_template("page").render() == "real page"
    env, path = _planted(directory)
    os.replace(path, directory / "elsewhere")  # the planted code, now behind a link
    os.symlink(directory / "elsewhere", path)
    assert env.get_template("page").render() == "real page"


@pytest.mark.filterwarnings("ignore:Query string argument")  # pysqlite ignores `key=`: fine here
def test_reflection_cache_entry_holds_no_secret_of_the_url(tmp_path: Path) -> None:
    """A SQLite URL may carry a secret (SQLCipher's `?key=`): the entry's stored key masks it."""
    import sqlalchemy as sa

    from sublimate.introspect.reflection_cache import ReflectionCache

    path = tmp_path / "app.db"
    with sqlite3.connect(path) as lite:
        lite.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    engine = sa.create_engine(f"sqlite:///{path}?key=s3cr3t-value")
    try:
        with engine.connect() as connection:
            cache = ReflectionCache.open(connection, None)
    finally:
        engine.dispose()
    assert cache is not None
    stored = cache._key  # written into every entry file as its "key"
    assert "s3cr3t-value" not in stored
    assert "key=***" in stored
