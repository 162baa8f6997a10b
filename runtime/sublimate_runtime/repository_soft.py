"""Repositories of a soft-deleting table: rows are marked deleted (a "deleted at" timestamp),
not removed. Loaded with the first model that has one: the generated repository names these
bases, so an application without soft deletes never imports this module.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any, Generic

from sqlalchemy import select

from .dialects import dialect_of, update_returns
from .intents import WRITE_INTENT
from .loading import L, Load
from .pagination import KeysetPage
from .repository import Repository
from .repository_id import C, IdRepository, P, U
from .repository_spec import BULK, F, M, O, OrderBy, Where

__all__ = ["IdSoftDeleteRepository", "SoftDeleteRepository"]


class SoftDeleteRepository(Repository[M, F, O, L]):
    """A table whose rows are marked deleted (a "deleted at" timestamp), not removed: reads
    leave them out unless asked (`include_deleted=True`); `purge` removes a row for good."""

    def get_one_or_none(
        self, where: Where[F] = None, *, include_deleted: bool = False, load: Load[L] = None
    ) -> M | None:
        """The one row matching `where`, or None; MultipleResultsFound when several match."""
        return self._one_or_none(where, include_deleted, load)

    def list(
        self,
        where: Where[F] = None,
        *,
        order_by: OrderBy[O] = None,
        limit: int | None = None,
        offset: int = 0,
        include_deleted: bool = False,
        load: Load[L] = None,
    ) -> builtins.list[M]:
        """Matching rows, ordered (primary key last, so pages are stable)."""
        return self._list(where, order_by, limit, offset, include_deleted, load)

    def list_and_count(
        self,
        where: Where[F] = None,
        *,
        order_by: OrderBy[O] = None,
        limit: int | None = None,
        offset: int = 0,
        include_deleted: bool = False,
        load: Load[L] = None,
    ) -> tuple[builtins.list[M], int]:
        """A page and the total count in one statement (a second only past the last page)."""
        return self._list_and_count(where, order_by, limit, offset, include_deleted, load)

    def count(self, where: Where[F] = None, *, include_deleted: bool = False) -> int:
        """How many rows match."""
        return self._counted(where, include_deleted)

    def exists(self, where: Where[F] = None, *, include_deleted: bool = False) -> bool:
        """Whether any row matches: SELECT EXISTS, never a count."""
        return self._exists(where, include_deleted)

    def list_after(
        self,
        cursor: str | None = None,
        limit: int = 50,
        *,
        where: Where[F] = None,
        order_by: OrderBy[O] = None,
        include_deleted: bool = False,
        load: Load[L] = None,
    ) -> KeysetPage[M]:
        """A keyset page in `order_by` (primary key last): the first without `cursor`, then
        a page's `next_cursor` (the rows after it) or `prev_cursor` (the rows before it), with
        the same `where`, `order_by` and `include_deleted`; InvalidCursorError for a cursor made
        for another order or filter, or tampered with. One statement per page."""
        return self._list_after(cursor, limit, where, order_by, include_deleted, load)

    def delete_where(self, where: Where[F]) -> builtins.list[M]:
        """Soft-delete every matching live row; refuses an empty condition (sa.true() means all)."""
        spec = self.spec
        return self._mark([*self._required(where), spec.live(True)], spec.mark_value())

    def _soft_delete(self, key: tuple[Any, ...]) -> M:
        """Soft-delete the live row with this primary key and return it."""
        spec = self.spec
        found = self._mark([*spec.key_where(key), spec.live(True)], spec.mark_value())
        if not found:
            raise spec.not_found(key)
        return found[0]

    def _soft_delete_keys(self, keys: Sequence[Any]) -> builtins.list[M]:
        """Soft-delete the live rows with these primary keys; returns those that were live."""
        if not keys:
            return []
        spec = self.spec
        return self._mark([spec.keys_in(keys), spec.live(True)], spec.mark_value())

    def _restore(self, key: tuple[Any, ...]) -> M:
        """Undo a soft delete; a live row is returned as it is."""
        found = self._mark([*self.spec.key_where(key), self.spec.live(False)], None)
        return found[0] if found else self._get(key)

    def _mark(self, conditions: Sequence[Any], value: Any) -> builtins.list[M]:
        """Set the "deleted at" attribute on matching rows: UPDATE ... RETURNING, else lock,
        UPDATE, read back."""
        spec = self.spec
        with self._guard(None):
            if update_returns(dialect_of(self.session)):
                statement = spec.mark_statement(conditions, value)
                found = self._fresh(statement.returning(spec.model).execution_options(**BULK))
            else:
                matching = select(spec.model).where(*conditions).with_for_update()
                keys = [spec.key_of(instance) for instance in self._write_rows(matching)]
                found = []
                if keys:
                    statement = spec.mark_statement([spec.keys_in(keys)], value)
                    self.session.execute(
                        statement, execution_options=BULK, bind_arguments=WRITE_INTENT
                    )
                    found = self._fresh(spec.select_keys(keys))
        self._written(found)
        return found


class IdSoftDeleteRepository(
    SoftDeleteRepository[M, F, O, L],
    IdRepository[M, F, O, U, C, P, L],
    Generic[M, F, O, U, C, P, L],
):
    """A soft-deleting table keyed by `id`: `delete` marks, `purge` removes, `restore` undoes
    (`update` and the upserts are IdRepository's)."""

    def get(self, id: P, *, include_deleted: bool = False, load: Load[L] = None) -> M:
        """The row with this primary key (with the related rows of `load`); NotFoundError when
        there is none (or it is deleted)."""
        return self._get((id,), include_deleted, load)

    def delete(self, id: P) -> M:
        """Soft-delete the live row with this primary key and return it."""
        return self._soft_delete((id,))

    def delete_many(self, keys: Sequence[P]) -> builtins.list[M]:
        """Soft-delete the live rows with these primary keys; returns those that were live."""
        return self._soft_delete_keys(keys)

    def restore(self, id: P) -> M:
        """Undo a soft delete; a live row is returned as it is."""
        return self._restore((id,))

    def purge(self, id: P) -> M:
        """Delete the row for good, soft-deleted or not: one DELETE ... RETURNING."""
        return self._delete_key((id,))
