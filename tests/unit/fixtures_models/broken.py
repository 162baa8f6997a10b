"""A models module whose own import fails."""

from __future__ import annotations

import sublimate_missing_dependency  # noqa: F401
