"""The asyncio repositories: :mod:`.repository`'s, each call run in one greenlet.

An ``AsyncSession`` is a sync ``Session`` driven through greenlets: each ``await
session.execute(...)`` spawns one, runs the sync code in it and switches back to the event loop
at each I/O. So an async repository method spawns it once (``AsyncSession.run_sync``) and runs its
sync twin's implementation there: the statements, the write guard, the cache, the routing are
written once, in :mod:`.repository`, and a call costs one greenlet switch where a method of
several statements cost one per statement. What must not block the event loop inside that
greenlet awaits through SQLAlchemy's ``await_only`` (a deadlock retry's pause, the cache's
per-key lock).

Each class keeps, as coroutines with the sync signatures, the public methods and those the
generated methods call (``_get``, ``_update``, ...): generated code and ``mypy --strict`` see the
API they saw, a test checks it against the sync classes, and a subclass's override of one of them
wins as usual. The sync twin is made per class, from its spec, when the class is created; what a
subclass overrides is not seen by the twin's internals (``_rows``, ``_fresh``...): override a
public method.
"""

from __future__ import annotations

import builtins
import inspect
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, cast

from .loading import L, Load
from .pagination import KeysetPage
from .repository import (
    KeyedReadRepository,
    ReadRepository,
    Repository,
)
from .repository_spec import F, M, O, OrderBy, RepositorySpec, Where
from .type_args import type_argument

if TYPE_CHECKING:  # asyncio needs greenlet; a sync-only application need not install it
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.orm import Session

    from .repository_soft import SoftDeleteRepository  # the widest sync class: see _run

T = TypeVar("T")


def _mirror_docs(cls: type) -> None:
    """Each coroutine without a docstring gets its sync twin's (help() and IDEs show it)."""
    sync = getattr(cls, "_sync_base", None)
    for name, member in vars(cls).items():
        if inspect.iscoroutinefunction(member) and member.__doc__ is None:
            member.__doc__ = getattr(getattr(sync, name, None), "__doc__", None)


class AsyncReadRepository(Generic[M, F, O, L]):
    """:class:`.ReadRepository` on an ``AsyncSession``."""

    spec: RepositorySpec[M]
    model: type[M]
    # The sync base whose implementation this class runs, and the subclass of it made with the
    # spec of each concrete class.
    _sync_base: ClassVar[type[ReadRepository[Any, Any, Any, Any]]] = ReadRepository
    _sync_class: ClassVar[type[ReadRepository[Any, Any, Any, Any]]]
    _twin: SoftDeleteRepository[M, F, O, L] | None = None  # made on first use, on the sync session

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        spec = cls.__dict__.get("spec")
        if spec is None and (model := type_argument(cls, AsyncReadRepository, "M")) is not None:
            spec = RepositorySpec.made_for(model)  # made by the generated module, above the class
            if spec is not None:
                cls.spec = spec
        if spec is not None:
            cls.model = spec.model
            namespace = {"spec": spec, "__module__": cls.__module__}
            cls._sync_class = type(f"{cls.__name__}Sync", (cls._sync_base,), namespace)
        _mirror_docs(cls)

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _run(self, call: Callable[[SoftDeleteRepository[M, F, O, L]], T]) -> T:
        """``call`` on the sync twin, in the one greenlet ``run_sync`` spawns.

        The twin is typed as the widest sync class: each async class calls only what its own
        twin (``_sync_base``) has, which the test of the twins checks."""
        return await self.session.run_sync(self._on_twin, call)

    def _on_twin(self, session: Session, call: Callable[[Any], T]) -> T:
        twin = self._twin
        if twin is None or twin.session is not session:
            made = self._sync_class(session)
            twin = self._twin = cast("SoftDeleteRepository[M, F, O, L]", made)
        return call(twin)

    async def get_one_or_none(self, where: Where[F] = None, *, load: Load[L] = None) -> M | None:
        return await self._run(lambda r: r.get_one_or_none(where, load=load))

    async def list(
        self,
        where: Where[F] = None,
        *,
        order_by: OrderBy[O] = None,
        limit: int | None = None,
        offset: int = 0,
        load: Load[L] = None,
    ) -> builtins.list[M]:
        return await self._run(lambda r: r._list(where, order_by, limit, offset, False, load))

    async def list_and_count(
        self,
        where: Where[F] = None,
        *,
        order_by: OrderBy[O] = None,
        limit: int | None = None,
        offset: int = 0,
        load: Load[L] = None,
    ) -> tuple[builtins.list[M], int]:
        return await self._run(
            lambda r: r._list_and_count(where, order_by, limit, offset, False, load)
        )

    async def count(self, where: Where[F] = None) -> int:
        return await self._run(lambda r: r.count(where))

    async def exists(self, where: Where[F] = None) -> bool:
        return await self._run(lambda r: r.exists(where))

    # --- what the generated methods call --------------------------------------------------

    async def _get(
        self, key: tuple[Any, ...], include_deleted: bool = False, load: Load[Any] = None
    ) -> M:
        return await self._run(lambda r: r._get(key, include_deleted, load))

    async def _get_by(
        self,
        name: str,
        values: tuple[Any, ...],
        include_deleted: bool = False,
        load: Load[Any] = None,
    ) -> M | None:
        return await self._run(lambda r: r._get_by(name, values, include_deleted, load))


class AsyncKeyedReadRepository(AsyncReadRepository[M, F, O, L]):
    """:class:`.KeyedReadRepository` on an ``AsyncSession``."""

    _sync_base = KeyedReadRepository

    async def list_after(
        self,
        cursor: str | None = None,
        limit: int = 50,
        *,
        where: Where[F] = None,
        order_by: OrderBy[O] = None,
        load: Load[L] = None,
    ) -> KeysetPage[M]:
        return await self._run(
            lambda r: r.list_after(cursor, limit, where=where, order_by=order_by, load=load)
        )


class AsyncRepository(AsyncKeyedReadRepository[M, F, O, L]):
    """:class:`.Repository` on an ``AsyncSession``."""

    _sync_base = Repository

    async def add(self, instance: M) -> M:
        return await self._run(lambda r: r.add(instance))

    async def add_many(self, instances: Sequence[M]) -> builtins.list[M]:
        return await self._run(lambda r: r.add_many(instances))

    async def insert_many(self, instances: Sequence[M]) -> builtins.list[M]:
        return await self._run(lambda r: r.insert_many(instances))

    async def update_many(self, instances: Sequence[M]) -> builtins.list[M]:
        return await self._run(lambda r: r.update_many(instances))

    async def delete_where(self, where: Where[F]) -> builtins.list[M]:
        return await self._run(lambda r: r.delete_where(where))

    # --- what the generated methods call --------------------------------------------------

    async def _update(
        self, key: tuple[Any, ...], changes: Any, expected_version: int | None = None
    ) -> M:
        return await self._run(lambda r: r._update(key, changes, expected_version))

    async def _upsert(self, instances: Sequence[M], on: str) -> builtins.list[M]:
        return await self._run(lambda r: r._upsert(instances, on))

    async def _delete_key(self, key: tuple[Any, ...]) -> M:
        return await self._run(lambda r: r._delete_key(key))

    async def _delete_keys(self, keys: Sequence[Any]) -> builtins.list[M]:
        return await self._run(lambda r: r._delete_keys(keys))


_mirror_docs(AsyncReadRepository)
