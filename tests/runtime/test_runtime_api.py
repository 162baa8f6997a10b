"""The names generated code imports from ``sublimate_runtime`` stay exported."""

from __future__ import annotations

import sublimate_runtime

CONTRACT = {
    "RUNTIME_API_VERSION",
    "RepositoryError",
    "NotFoundError",
    "ConflictError",
    "ForeignKeyError",
    "IntegrityViolationError",
    "UniqueKeySpec",
    "translate_integrity_error",
    "write_guard",
    "async_write_guard",
    "UNSET",
    "UnsetType",
    "set_fields",
    "EqFilter",
    "RangeFilter",
    "TextFilter",
    "NullableEqFilter",
    "NullableRangeFilter",
    "NullableTextFilter",
    "OffsetPage",
    "KeysetPage",
    "encode_cursor",
    "decode_cursor",
    "InvalidCursorError",
    "dialect_of",
    "async_dialect_of",
    "upsert_statement",
    "upsert_returns",
    "update_returns",
    "delete_returns",
    "DEFAULT_URL",
    "DEFAULT_ASYNC_URL",
    "create_engine",
    "create_async_engine",
    "session_factory",
    "async_session_factory",
}


def test_public_names() -> None:
    assert set(sublimate_runtime.__all__) == CONTRACT
    assert all(hasattr(sublimate_runtime, name) for name in CONTRACT)
    assert sublimate_runtime.RUNTIME_API_VERSION == 1
