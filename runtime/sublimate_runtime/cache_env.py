"""The cache a generated web app takes from its environment: one definition for Litestar, FastAPI.

Its own module because each web module imports its framework at the top: a FastAPI app has no
Litestar, and the reverse.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from .extras import missing_extra

if TYPE_CHECKING:  # the cache machinery loads only for an app that caches
    from .cache import Cache

__all__ = ["cache_from_environment"]


def cache_from_environment() -> Cache | None:
    """A Redis region at $SUBLIMATE_CACHE_URL (needs sublimate-runtime[redis]), or None.

    Keys are prefixed with $SUBLIMATE_CACHE_NAMESPACE (default "sublimate"): apps sharing a
    Redis need their own, or they read each other's rows.
    """
    url = os.environ.get("SUBLIMATE_CACHE_URL")
    if not url:
        return None
    arguments = {"url": url, "distributed_lock": True, "thread_local_lock": False}
    try:  # the backend imports redis when configured
        from dogpile.cache import make_region

        region = make_region().configure(
            "dogpile.cache.redis", expiration_time=3600, arguments=arguments
        )
    except ModuleNotFoundError as error:
        raise missing_extra(error, extra="redis", needed_by="SUBLIMATE_CACHE_URL") from None
    from .cache import Cache

    return Cache(region, namespace=os.environ.get("SUBLIMATE_CACHE_NAMESPACE") or "sublimate")
