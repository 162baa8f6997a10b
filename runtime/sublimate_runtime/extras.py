"""The error an optional module raises when its extra is not installed: one line naming the extra.

``import sublimate_runtime`` loads none of them; the cache (``Cache``), the Alembic hooks and the
Litestar machinery import their third-party package when they are first imported, and fail there
with ``pip install 'sublimate-runtime[<extra>]'`` instead of a bare ``No module named ...`` (or a
``NameError`` at first use).
"""

from __future__ import annotations

from typing import Final

PACKAGES: Final[dict[str, frozenset[str]]] = {
    "cache": frozenset({"dogpile"}),
    "redis": frozenset({"dogpile", "redis"}),
    "migrations": frozenset({"alembic"}),
    "litestar": frozenset({"litestar"}),
    "fastapi": frozenset({"fastapi"}),
    "pydantic": frozenset({"pydantic", "pydantic_core", "annotated_types"}),
}
"""The top-level packages the runtime imports from each extra of runtime/pyproject.toml."""


def missing_extra(error: ModuleNotFoundError, *, extra: str, needed_by: str) -> ImportError:
    """What to raise for ``error`` in the import of ``needed_by``.

    A one-line ``ImportError`` naming the extra when the missing module is one of the extra's
    packages; otherwise ``error`` itself: a package the extra installed but that is broken (one of
    its own dependencies missing) is not fixed by installing the extra, and must show as it is.
    """
    package = (error.name or "").partition(".")[0]
    if package not in PACKAGES[extra]:
        return error
    return ImportError(
        f"{needed_by} needs {package}: pip install 'sublimate-runtime[{extra}]'",
        name=error.name,
    )
