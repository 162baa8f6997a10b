"""Where a statement may run: the declarations code makes, which only a routed session acts on.

Repositories pass ``bind_arguments=READ_INTENT`` or ``WRITE_INTENT`` and callers open
``with primary():``. A plain ``Session`` ignores unknown bind arguments and nothing reads the
context variable, so these cost nothing without routing; a ``RoutingSession``
(:mod:`.routing`, loaded only by an application that routes) honours them. They live apart from
the router so that the repositories and the cache can declare intent without importing it.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from typing import Any, Final

INTENT_KEY: Final = "sublimate_intent"
READ_INTENT: Final[dict[str, Any]] = {INTENT_KEY: "read"}
"""``bind_arguments`` for a statement that only reads: a replica may answer it."""
WRITE_INTENT: Final[dict[str, Any]] = {INTENT_KEY: "write"}
"""``bind_arguments`` for a statement of a write path: the primary, and the session stays there."""

FORCED_PRIMARY: ContextVar[bool] = ContextVar("sublimate_forced_primary", default=False)
"""True inside ``with primary():`` (read by :class:`.routing.RoutingSession`)."""


class primary:
    """Send every statement of routed sessions in this context (thread or task) to the primary.

    ``with primary():`` works in sync and async code (``async with`` too). It is a context
    variable, so it covers sessions the block's callees open; asyncio tasks started inside the
    block inherit it, and the greenlet an ``AsyncSession`` runs in sees it. It does not make the
    session stay on the primary after the block. Without routing it changes nothing.
    """

    __slots__ = ("_tokens",)

    def __init__(self) -> None:
        self._tokens: list[Token[bool]] = []

    def __enter__(self) -> None:
        self._tokens.append(FORCED_PRIMARY.set(True))

    def __exit__(self, *_exc: object) -> None:
        FORCED_PRIMARY.reset(self._tokens.pop())

    async def __aenter__(self) -> None:
        self.__enter__()

    async def __aexit__(self, *_exc: object) -> None:
        self.__exit__()
