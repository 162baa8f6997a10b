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
    # filter_tree.py: the generated Filters' limits, and their decoder for web layers
    "check_filter_tree",
    "decode_filter",
    "MAX_FILTER_DEPTH",
    "MAX_FILTER_CONDITIONS",
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
    # intents.py: core (what repositories declare; a plain Session ignores it)
    "READ_INTENT",
    "WRITE_INTENT",
    "primary",
    # routing.py: resolved on first use (test_runtime_core.py)
    "Router",
    "AsyncRouter",
    "RoutingSession",
    "NoReplicaAvailableError",
    "ReplicaUnavailableWarning",
    "create_router",
    "create_async_router",
    "routing_session_factory",
    "async_routing_session_factory",
    # cache*.py: resolved on first use; importing Cache needs dogpile.cache (extra `cache`)
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
    # query_pages.py: a typed SQL `:many_after` query's keyset pages (issue 16)
    "PageTerm",
    "QueryPages",
    # loading.py: the repositories' `load=` (issue 15): its type, a path that is not one, and a
    # relationship read that was not loaded
    "Load",
    "UnknownLoadError",
    "NotLoadedError",
    # nested.py: nested Read DTOs (issue 15): the services' shapes, the controllers' `load`
    "ShapeT",
    "shape_paths",
    "to_shape",
    "to_shapes",
    "read_shape",
    "Int16",
    "Int32",
    "Int64",
    "Text",
    "NaiveDateTime",
    "AwareDateTime",
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
    # 3 (0.3.0): load=, nested reads, filter trees, keyset pages over any order
    # 4 (0.4.0): repositories and services read their spec, model and Create DTO off their type
    # arguments (sublimate_runtime.type_args); web.py; pydantic DTOs
    # 5 (0.5.0): the named DTO types Int16, Int32, Int64, Text, NaiveDateTime, AwareDateTime
    assert sublimate_runtime.RUNTIME_API_VERSION == 5
