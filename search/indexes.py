"""Which indexes an owner keeps, and their rebuild.

A signal that answers from a vector index names the spaces it reads (``indexes`` on the signal;
search.signals.indexed_spaces gathers them), so a new one is built, published and loaded with the others without a
line here; search/index_versions.py does the building, publishing and loading for every space alike.
"""

from __future__ import annotations

from .debounce import debounce_started, redis_client
from .index_versions import debounce_key, models_in_use, spaces_publish
from .models import SearchIndex
from .signals import indexed_spaces


def index_rebuild(*, owner_id: int, model_key: str) -> list[SearchIndex]:
    """Build and publish every index the signals keep for this owner and model; safe to run at any time."""
    spaces = indexed_spaces(owner_id=owner_id, model_key=model_key)
    return spaces_publish(owner_id=owner_id, model_key=model_key, spaces=spaces)


def lock_key(owner_id: int) -> str:
    return f"searchsite:index-rebuild-lock:{owner_id}"


def index_rebuild_try(*, owner_id: int) -> bool:
    """Run the scheduled rebuild under the owner's lock; False if another rebuild holds it (caller retries)."""
    # The timeout frees the lock of a worker killed mid-build; it is far longer than bench.search's 1M build.
    lock = redis_client().lock(lock_key(owner_id), timeout=900, blocking=False)
    if not lock.acquire(blocking=False):
        return False
    try:
        # Cleared before reading vectors: an upload from now on schedules a fresh rebuild instead of being missed.
        debounce_started(key=debounce_key(owner_id))
        for model_key in models_in_use(owner_id=owner_id):
            index_rebuild(owner_id=owner_id, model_key=model_key)
    finally:
        lock.release()
    return True
