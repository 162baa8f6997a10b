"""Your code for Hero (table "hero").

sublimate wrote this file once, when asked (`sublimate extend`), and never changes it. The classes
below are what `smapp.db` exports in place of the generated ones, so what you add here is
what the application gets:

- queries of your own: methods on the repositories;
- hooks: override `before_create`, `before_update`, `before_delete` or `to_model` on the services;
- extra DTO fields: subclass the generated DTOs here and add service methods that take or return
  them (a Create subclass can be passed to `create`: its extra fields are left out of the row).

If the model goes away, regeneration leaves this file in place and warns. Delete it, and the package
exports the generated classes again; `sublimate extend` writes a fresh one.
"""

from __future__ import annotations

from ..repositories import hero as repositories
from ..services import hero as services


class HeroRepository(repositories.HeroRepository):
    """Hero rows: add your own queries here."""


class AsyncHeroRepository(repositories.AsyncHeroRepository):
    """Hero rows, asyncio: add your own queries here."""


class HeroService(services.HeroService):
    """Hero use cases: add your own, or override the hooks."""

    repository_class = HeroRepository
    repository: HeroRepository


class AsyncHeroService(services.AsyncHeroService):
    """Hero use cases, asyncio: add your own, or override the hooks."""

    repository_class = AsyncHeroRepository
    repository: AsyncHeroRepository
