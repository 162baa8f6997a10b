"""Generated classes name their model and DTOs once, as type arguments; the runtime reads the
spec, `_model` and `_create` back from them at class creation (sublimate_runtime.type_args)."""

from __future__ import annotations

import msgspec
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sublimate_runtime import IdRepository, IdServiceBase, RepositorySpec
from sublimate_runtime.repository_spec import Key
from sublimate_runtime.service import ServiceBase
from sublimate_runtime.type_args import type_argument


class Base(DeclarativeBase):
    pass


class Thing(Base):
    __tablename__ = "things"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]


class ThingCreate(msgspec.Struct):
    name: str


class Other(msgspec.Struct):
    name: str


SPEC = RepositorySpec(Thing, keys=(Key("pk_things", "id", primary=True),), updatable=("name",))


class ThingRepository(IdRepository[Thing, object, str, object, str, int, str]):
    pass


class ThingService(IdServiceBase[Thing, object, object, object, ThingCreate, str, object, int]):
    repository_class = ThingRepository
    repository: ThingRepository


def test_the_repository_takes_the_spec_made_for_its_model() -> None:
    assert ThingRepository.spec is SPEC
    assert ThingRepository.model is Thing


def test_a_subclass_inherits_it_and_an_explicit_spec_wins() -> None:
    class Custom(ThingRepository):
        pass

    own = RepositorySpec(Thing, keys=(Key("pk_things", "id", primary=True),))

    class Explicit(IdRepository[Thing, object, str, object, str, int, str]):
        spec = own

    assert Custom.spec is SPEC
    assert Explicit.spec is own


def test_the_service_reads_its_model_and_create_dto() -> None:
    assert ThingService._model is Thing
    assert ThingService._create is ThingCreate

    class Mine(ThingService):
        _create = Other  # type: ignore[assignment]

    assert Mine._create is Other and Mine._model is Thing


def test_an_unbound_parameter_is_none() -> None:
    assert type_argument(ThingService, ServiceBase, "CreateT") is ThingCreate
    assert type_argument(int, ServiceBase, "CreateT") is None
