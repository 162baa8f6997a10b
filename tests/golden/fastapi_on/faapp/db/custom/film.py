"""Your code for Film (table "films").

sublimate wrote this file once, when asked (`sublimate extend`), and never changes it. The classes
below are what `faapp.db` exports in place of the generated ones, so what you add here is
what the application gets:

- queries of your own: methods on the repositories;
- hooks: override `before_create`, `before_update`, `before_delete` or `to_model` on the services;
- extra DTO fields: subclass the generated DTOs here and add service methods that take or return
  them (a Create subclass can be passed to `create`: its extra fields are left out of the row).

If the model goes away, regeneration leaves this file in place and warns. Delete it, and the package
exports the generated classes again; `sublimate extend` writes a fresh one.
"""

from __future__ import annotations

from ..repositories import film as repositories
from ..services import film as services


class FilmRepository(repositories.FilmRepository):
    """Film rows: add your own queries here."""


class AsyncFilmRepository(repositories.AsyncFilmRepository):
    """Film rows, asyncio: add your own queries here."""


class FilmService(services.FilmService):
    """Film use cases: add your own, or override the hooks."""

    repository_class = FilmRepository
    repository: FilmRepository


class AsyncFilmService(services.AsyncFilmService):
    """Film use cases, asyncio: add your own, or override the hooks."""

    repository_class = AsyncFilmRepository
    repository: AsyncFilmRepository
