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
    "check_decimal",
    "check_decimal_filter",
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
    "batch_sqlite_inserts",
    "session_factory",
    "async_session_factory",
    # error_details.py: what an HTTP answer may say about a refused write
    "Violation",
    "violated",
    # data_errors.py: a value a statement refused, caught by an app's error handler
    "refused_value",
    # routing.py
    "READ_INTENT",
    "WRITE_INTENT",
    "primary",
    "Router",
    "AsyncRouter",
    "RoutingSession",
    "NoReplicaAvailableError",
    "ReplicaUnavailableWarning",
    "create_router",
    "create_async_router",
    "routing_session_factory",
    "async_routing_session_factory",
    # cache.py (dogpile.cache is imported only when a Cache is made)
    "Cache",
    "ModelCache",
    "CacheInvalidationWarning",
    "CacheUnavailableWarning",
    "CacheEntryWarning",
    # failing services (issue 13)
    "DataError",
    "validated",
    # a write a PostgreSQL rule rewrites (issue 12)
    "UnsupportedWriteError",
    # a PostgreSQL DOMAIN column's type in models generated from a database (issue 12)
    "Domain",
    # the bases of the generated repositories and services (issue 14, API version 2)
    "RepositorySpec",
    "Where",
    "OrderBy",
    *(
        f"{flavour}{name}"
        for flavour in ("", "Async")
        for name in (
            "ReadRepository",
            "KeyedReadRepository",
            "Repository",
            "SoftDeleteRepository",
            "IdKeyedReadRepository",
            "IdRepository",
            "IdSoftDeleteRepository",
            "ReadOnlyServiceBase",
            "ServiceBase",
            "IdReadOnlyServiceBase",
            "IdServiceBase",
        )
    ),
}


def test_public_names() -> None:
    assert set(sublimate_runtime.__all__) == CONTRACT
    assert all(hasattr(sublimate_runtime, name) for name in CONTRACT)
    assert sublimate_runtime.RUNTIME_API_VERSION == 2
