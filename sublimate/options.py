"""Production options from `[tool.sublimate]` applied to the IR: caching, soft delete, versions.

Both front ends build the schema without settings; this step marks the entities the
configuration names. A name that matches no model, or a column that cannot serve, is an error
(a typo must not silently leave a model uncached or hard-deleting).
"""

from __future__ import annotations

import dataclasses

from .ir import Column, Entity, Schema
from .settings import Settings, SettingsError

_INTEGER = ("int",)
_TIMESTAMP = ("datetime.datetime",)


def apply(schema: Schema, settings: Settings) -> Schema:
    """The schema with `cached`, `soft_delete_column` and `version_column` set from settings."""
    known = {entity.name for entity in schema.entities}
    cached = settings.cache
    named = [
        *(() if isinstance(cached, bool) else cached),
        *settings.soft_delete,
        *(model for model, _ in settings.version_columns),
    ]
    unknown = sorted(set(named) - known)
    if unknown:
        raise SettingsError(
            f"[tool.sublimate] names no model called {', '.join(unknown)};"
            f" models: {', '.join(sorted(known))}"
        )
    versions = dict(settings.version_columns)
    entities = []
    for entity in schema.entities:
        changes: dict[str, object] = {}
        if cached is True or (not isinstance(cached, bool) and entity.name in cached):
            changes["cached"] = True
        if entity.name in settings.soft_delete:
            column = _column(entity, settings.soft_delete_column, "soft_delete_column")
            if not column.nullable or column.python_type not in _TIMESTAMP:
                raise SettingsError(
                    f"{entity.name}.{column.attr}: soft delete needs a nullable timestamp column"
                )
            changes["soft_delete_column"] = column.attr
        if entity.name in versions:
            column = _column(entity, versions[entity.name], "version_columns")
            if column.python_type not in _INTEGER or column.nullable or column.primary_key:
                raise SettingsError(
                    f"{entity.name}.{column.attr}: a version column is a non-null integer"
                )
            changes["version_column"] = column.attr
        if (changes.get("soft_delete_column") or changes.get("version_column")) and not (
            entity.writable
        ):
            raise SettingsError(f"{entity.name}: soft delete and versions need a writable table")
        entities.append(dataclasses.replace(entity, **changes) if changes else entity)  # type: ignore[arg-type]
    return dataclasses.replace(schema, entities=tuple(entities))


def _column(entity: Entity, name: str, key: str) -> Column:
    for column in entity.columns:
        if name in (column.attr, column.sql_name):
            return column
    raise SettingsError(f"[tool.sublimate] {key}: {entity.name} has no column {name!r}")
