"""Your code for Product (table "products").

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

from ..repositories import product as repositories
from ..services import product as services


class ProductRepository(repositories.ProductRepository):
    """Product rows: add your own queries here."""


class AsyncProductRepository(repositories.AsyncProductRepository):
    """Product rows, asyncio: add your own queries here."""


class ProductService(services.ProductService):
    """Product use cases: add your own, or override the hooks."""

    repository_class = ProductRepository
    repository: ProductRepository


class AsyncProductService(services.AsyncProductService):
    """Product use cases, asyncio: add your own, or override the hooks."""

    repository_class = AsyncProductRepository
    repository: AsyncProductRepository
