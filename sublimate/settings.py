"""Configuration: `[tool.sublimate]` in pyproject.toml, overridden by command-line flags.

Unknown keys are an error that lists the valid ones: a typo in a config file must not silently
fall back to a default.
"""

from __future__ import annotations

import dataclasses
import keyword
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SESSIONS = ("sync", "async")  # every session kind, in the order the classes are printed
# The nested Read DTOs follow the Load enum's paths, which stop at `views.loads.MAX_DEPTH` levels.
NESTED_DEPTHS = (1, 2)
NESTED_DEPTH = 1  # the default


class SettingsError(Exception):
    """A configuration problem, reported as one line by the CLI."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    root: Path  # the project directory: imports resolve from here, paths are relative to it
    models: str | None = None  # "pkg.mod" or "pkg.mod:Base"
    url: str | None = None  # a live database (introspection)
    schemas: tuple[str, ...] = ()  # with url: the schemas to read (default: the default one)
    tables: tuple[str, ...] = ()  # with url: only these tables/views (names or glob patterns)
    exclude: tuple[str, ...] = ()  # with url: leave these out (names or glob patterns)
    out: str = "db"  # output package directory, relative to root
    line_length: int = 88
    formatter: str = "black"  # "black" or "ruff"
    dto: str = "msgspec"  # the DTO library: "msgspec" or "pydantic" (v2)
    litestar: bool = False  # also generate Litestar controllers and app.py
    fastapi: bool = False  # also generate FastAPI routers and fastapi_app.py
    factories: bool = False  # also generate test-data factories and pytest fixtures (testing.py)
    # How many relationship levels the nested Read DTOs follow (1: OrderReadWithLines; 2: also
    # OrderReadWithLinesProduct). Cycles stop there: customer -> orders -> customer is 2 levels.
    nested_depth: int = NESTED_DEPTH
    # Production options per model (class names); see `sublimate.options`.
    cache: bool | tuple[str, ...] = ()  # true: every model; or the models whose reads are cached
    soft_delete: tuple[str, ...] = ()  # models whose delete() sets soft_delete_column
    soft_delete_column: str = "deleted_at"  # a nullable timestamp column of those models
    version_columns: tuple[tuple[str, str], ...] = ()  # (model, column attr): optimistic locking
    # The session kinds the repositories and services serve: "sync", "async" or both (default).
    sessions: tuple[str, ...] = SESSIONS
    # Typed SQL: the directory of annotated .sql files, and the database that describes them.
    queries: str = "queries"
    queries_url: str | None = None

    @property
    def out_dir(self) -> Path:
        return (self.root / self.out).resolve()

    @property
    def lexical_out(self) -> Path:
        """The output directory with `..` folded but links not followed: where imports see it."""
        return Path(os.path.normpath(self.root.resolve() / self.out))

    @property
    def package(self) -> str:
        """The output package's dotted name, for absolute imports (Alembic's env.py)."""
        try:
            relative = self.lexical_out.relative_to(self.root.resolve())
        except ValueError:  # outside the project: refused by `load` (package_problem)
            return self.lexical_out.name
        return ".".join(part for part in relative.parts if part not in (".", ""))


# Every key of [tool.sublimate], documented: `sublimate init` writes these comments, the README
# lists them, and an unknown key is an error naming the valid ones. (key, example, description)
KEY_DOCS: tuple[tuple[str, str, str], ...] = (
    (
        "models",
        '"shop.models"',
        'the declarative models: "pkg.mod", or "pkg.mod:Base" when the module holds several bases',
    ),
    ("url", '"postgresql://user@host/db"', "read a live database instead of models"),
    ("schemas", '["public"]', "with url: the schemas to read (default: the database's default)"),
    ("tables", '["orders", "order_*"]', "with url: only these tables and views (glob patterns)"),
    ("exclude", '["tmp_*"]', "with url: leave these tables and views out (glob patterns)"),
    ("out", '"shop/db"', 'output package directory, relative to the project (default "db")'),
    ("line_length", "88", "line length of the generated code (default 88, as black's)"),
    (
        "formatter",
        '"black"',
        '"black" (default, in-process) or "ruff" (much faster on large schemas; needs ruff)',
    ),
    (
        "dto",
        '"pydantic"',
        'the DTO classes: "msgspec" Structs (default) or "pydantic" v2 models (needs pydantic)',
    ),
    ("litestar", "true", "also generate Litestar controllers and app.py (pip install litestar)"),
    ("fastapi", "true", "also generate FastAPI routers and fastapi_app.py (pip install fastapi)"),
    (
        "factories",
        "true",
        "also generate test-data factories (factories/) and pytest fixtures (testing.py)",
    ),
    (
        "nested_depth",
        "2",
        "relationship levels of the nested Read DTOs: 1 (default, OrderReadWithLines) or 2",
    ),
    ("cache", '["Customer"]', "models whose reads are cached (true: all); see the README"),
    ("soft_delete", '["Customer"]', "models whose delete() sets a timestamp instead of deleting"),
    ("soft_delete_column", '"deleted_at"', "the nullable timestamp soft delete sets (default)"),
    (
        "version_columns",
        '{ Order = "revision" }',
        "optimistic locking on these integer columns (version_id_col is detected by itself)",
    ),
    (
        "sessions",
        '["async"]',
        'the session kinds to generate classes for: ["sync", "async"] (default), or one of them',
    ),
    (
        "queries",
        '"queries"',
        "directory of annotated .sql files: one typed module each (default queries; see README)",
    ),
    (
        "queries_url",
        '"postgresql+psycopg://app@localhost/app"',
        "the database that checks the queries (default: url, else the models on SQLite)",
    ),
)
_KEYS = {f.name for f in dataclasses.fields(Settings)} - {"root"}
FORMATTERS = ("black", "ruff")
DTO_KINDS = ("msgspec", "pydantic")
_KEYS_DASHED = {key.replace("_", "-"): key for key in _KEYS}


def load(root: Path, overrides: dict[str, Any]) -> Settings:
    """Settings from `<root>/pyproject.toml` (if any), then the non-None `overrides`."""
    values = _file_values(root / "pyproject.toml")
    given = {key: value for key, value in overrides.items() if value is not None}
    # The source is one choice: `--url` on the command line replaces the file's `models` (and
    # `--models` its `url`), as every option overrides the file, instead of clashing with it.
    for flag, other in (("url", "models"), ("models", "url")):
        if flag in given and other not in given:
            values.pop(other, None)
    values.update(given)
    for name in ("schemas", "tables", "exclude", "soft_delete"):
        if name in values:
            values[name] = _names(name, values[name])
    if "cache" in values and not isinstance(values["cache"], bool):
        values["cache"] = _names("cache", values["cache"])
    if "version_columns" in values:
        versions = values["version_columns"]
        if not isinstance(versions, dict) or not all(isinstance(v, str) for v in versions.values()):
            raise SettingsError("[tool.sublimate] version_columns must map models to column names")
        values["version_columns"] = tuple(sorted(versions.items()))
    if "sessions" in values:
        values["sessions"] = _sessions(values["sessions"])
    settings = Settings(root=root, **values)
    _check(settings)
    return settings


def _file_values(pyproject: Path) -> dict[str, Any]:
    """The `[tool.sublimate]` table by field name (dashes allowed in keys), before the command
    line overrides it; an unknown key fails here, where the file can still be named."""
    values: dict[str, Any] = {}
    if not pyproject.is_file():
        return values
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise SettingsError(f"cannot read {pyproject}: {error}") from error
    table = data.get("tool", {}).get("sublimate", {})
    if not isinstance(table, dict):
        raise SettingsError(f"{pyproject}: [tool.sublimate] must be a table")
    for key, value in table.items():
        name = _KEYS_DASHED.get(key, key)
        if name not in _KEYS:
            valid = ", ".join(sorted(_KEYS))
            raise SettingsError(
                f"{pyproject}: unknown key {key!r} in [tool.sublimate]; valid keys: {valid}"
            )
        values[name] = value
    return values


def _check(settings: Settings) -> None:
    """Refuse values of the wrong type or outside their choices once file and flags are merged,
    so that a flag can repair a bad file value and the message names the final one."""
    for name, expected in (
        ("models", str),
        ("url", str),
        ("out", str),
        ("line_length", int),
        ("formatter", str),
        ("dto", str),
        ("soft_delete_column", str),
        ("litestar", bool),
        ("fastapi", bool),
        ("factories", bool),
        ("queries", str),
        ("queries_url", str),
    ):
        value = getattr(settings, name)
        if value is not None and not isinstance(value, expected):
            raise SettingsError(f"[tool.sublimate] {name} must be a {expected.__name__}")
    if settings.formatter not in FORMATTERS:
        raise SettingsError(
            f"[tool.sublimate] formatter must be one of {', '.join(FORMATTERS)},"
            f" not {settings.formatter!r}"
        )
    if settings.dto not in DTO_KINDS:
        raise SettingsError(
            f"[tool.sublimate] dto must be one of {', '.join(DTO_KINDS)}, not {settings.dto!r}"
        )
    depth = settings.nested_depth
    if type(depth) is not int or depth not in NESTED_DEPTHS:  # not True, 2.0 or "2" either
        raise SettingsError(
            f"[tool.sublimate] nested_depth must be {' or '.join(map(str, NESTED_DEPTHS))}"
            f" (relationship levels of the nested Read DTOs), not {repr(depth)[:40]}"
        )
    if settings.litestar and "async" not in settings.sessions:
        raise SettingsError(
            "[tool.sublimate] litestar = true needs the async classes (the app runs on"
            ' AsyncSession): add "async" to sessions, or set litestar = false'
        )
    problem = package_problem(settings)
    if problem is not None:
        raise SettingsError(problem)


def package_problem(settings: Settings) -> str | None:
    """Why the output package could not be imported from the project; None when it can.

    The generated code is imported by its dotted name from the project directory, which
    `sublimate db` and Alembic put on sys.path: env.py imports `<package>.models` when the models
    come from a database, alembic.ini finds the project by the package's depth. An output outside
    the project (`--out ../x`) has no such name (it used to give `from ...x.models import Base`),
    and with a database a directory that is not an identifier (`my-db`) would give a syntax error.
    """
    root = settings.root.resolve()
    out_dir = settings.lexical_out  # `--out` may be a link to elsewhere: imports go through it
    if out_dir != root and root not in out_dir.parents:
        return (
            f"out {settings.out!r} is outside the project directory {root}: the generated package"
            " is imported by its dotted name from the project (Alembic's env.py, `sublimate db`);"
            " put it inside the project, or run from a project that contains it (--project)"
        )
    if out_dir == root:
        return f"out {settings.out!r} is the project directory itself: name a package inside it"
    if settings.url:
        for part in out_dir.relative_to(root).parts:
            if not part.isidentifier() or keyword.iskeyword(part):
                return (
                    f"out {settings.out!r}: {part!r} is not a Python identifier, so the generated"
                    f" package cannot be imported by name (env.py imports <package>.models);"
                    " name its directories with identifiers (my_db, not my-db)"
                )
    return None


def _names(key: str, value: object) -> tuple[str, ...]:
    """A list of names from TOML (`["a", "b"]`) or the command line (`a,b`), without blanks."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        raise SettingsError(f"[tool.sublimate] {key} must be a list of strings")
    return tuple(dict.fromkeys(item.strip() for item in items if item.strip()))


def _sessions(value: object) -> tuple[str, ...]:
    """The session kinds, in canonical order: `["async", "sync"]` is the default, not a change."""
    names = _names("sessions", value)
    unknown = [name for name in names if name not in SESSIONS]
    if unknown:
        raise SettingsError(
            f"[tool.sublimate] sessions: unknown session kind {unknown[0]!r};"
            f" use {', '.join(repr(s) for s in SESSIONS)} or both"
        )
    if not names:
        raise SettingsError(
            '[tool.sublimate] sessions is empty: name "sync", "async" or both (the default)'
        )
    return tuple(name for name in SESSIONS if name in names)
