"""What the templates print, per output kind: built from the IR before rendering, where each
decision can be tested (the templates only print). `entity` is the per-entity view shared by the
DTO, repository, service and controller templates (`fields`: its DTO fields; `keys`: what is about
the model's keys); `service` the service classes; `controller` a Litestar controller's routes;
`model` and `indexes` the models generated from a live database."""

from .entity import FILTER_NAMES, EntityView, Field, Getter, ReadGuard, build
from .fields import DTO_ALIAS_NAMES, FilterTargets, sibling_modules

__all__ = [
    "DTO_ALIAS_NAMES",
    "FILTER_NAMES",
    "EntityView",
    "Field",
    "FilterTargets",
    "Getter",
    "ReadGuard",
    "build",
    "sibling_modules",
]
