"""Your code for Order (table "orders").

sublimate wrote this file once and never changes it. The classes below are what
`pyshop.db` exports in place of the generated ones, so what you add here is what the
application gets:

- queries of your own: methods on the repositories;
- hooks: override `before_create`, `before_update`, `before_delete` or `to_model` on the services;
- extra DTO fields: subclass the generated DTOs here and add service methods that take or return
  them (a Create subclass can be passed to `create`: its extra fields are left out of the row).

If the model goes away, regeneration leaves this file in place and warns. Delete it to get a fresh
one on the next `sublimate generate`.
"""

from __future__ import annotations

from ..repositories import order as repositories
from ..services import order as services


class OrderRepository(repositories.OrderRepository):
    """Order rows: add your own queries here."""


class AsyncOrderRepository(repositories.AsyncOrderRepository):
    """Order rows, asyncio: add your own queries here."""


class OrderService(services.OrderService):
    """Order use cases: add your own, or override the hooks."""

    repository_class = OrderRepository
    repository: OrderRepository


class AsyncOrderService(services.AsyncOrderService):
    """Order use cases, asyncio: add your own, or override the hooks."""

    repository_class = AsyncOrderRepository
    repository: AsyncOrderRepository
