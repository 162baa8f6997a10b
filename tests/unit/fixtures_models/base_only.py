"""Binds only the Base; the models live elsewhere but are registered with it."""

from __future__ import annotations

from fixtures_models import shop  # noqa: F401  (imported for its models)
from fixtures_models.shop import Base

__all__ = ["Base"]
