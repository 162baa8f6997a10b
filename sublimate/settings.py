"""Configuration: `[tool.sublimate]` in pyproject.toml, overridden by command-line flags.

Unknown keys are an error that lists the valid ones: a typo in a config file must not silently
fall back to a default.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class SettingsError(Exception):
    """A configuration problem, reported as one line by the CLI."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    root: Path  # the project directory: imports resolve from here, paths are relative to it
    models: str | None = None  # "pkg.mod" or "pkg.mod:Base"
    url: str | None = None  # a live database (introspection)
    out: str = "db"  # output package directory, relative to root
    line_length: int = 88

    @property
    def out_dir(self) -> Path:
        return (self.root / self.out).resolve()

    @property
    def package(self) -> str:
        """The output package's dotted name, for absolute imports (Alembic's env.py)."""
        relative = Path(self.out)
        if relative.is_absolute():
            try:
                relative = relative.resolve().relative_to(self.root.resolve())
            except ValueError:
                return relative.name
        return ".".join(part for part in relative.parts if part not in (".", ""))


_KEYS = {f.name for f in dataclasses.fields(Settings)} - {"root"}
_KEYS_DASHED = {key.replace("_", "-"): key for key in _KEYS}


def load(root: Path, overrides: dict[str, Any]) -> Settings:
    """Settings from `<root>/pyproject.toml` (if any), then the non-None `overrides`."""
    values: dict[str, Any] = {}
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
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
    values.update({key: value for key, value in overrides.items() if value is not None})
    settings = Settings(root=root, **values)
    for name, expected in (("models", str), ("url", str), ("out", str), ("line_length", int)):
        value = getattr(settings, name)
        if value is not None and not isinstance(value, expected):
            raise SettingsError(f"[tool.sublimate] {name} must be a {expected.__name__}")
    return settings
