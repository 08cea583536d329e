"""Which worker processes are alive: a heartbeat per process in Redis, with a short expiry.

A photo being processed names the process that claimed it (Photo.claimed_by). While that process beats, the photo is
its own, however long the batch takes; once its heartbeat has been missing for HEARTBEAT_TTL seconds, as two
reconciler ticks at least that far apart both saw, the process is dead and its photos go back to the queue. A Redis
restart that loses every heartbeat costs a live worker nothing: it beats again within HEARTBEAT_SECONDS, before the
second tick can confirm it missing.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid

from redis.exceptions import RedisError

from .debounce import redis_client

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 3  # how often a worker process beats
HEARTBEAT_TTL = 10  # a beat's expiry: three missed beats
_MISSING_MEMORY = 600  # seconds the reconciler remembers when it first missed a worker

_state = {"pid": None, "id": None}
_state_lock = threading.Lock()


def _alive_key(worker: str) -> str:
    return f"searchsite:worker-alive:{worker}"


def _missing_key(worker: str) -> str:
    return f"searchsite:worker-missing:{worker}"


def worker_id() -> str:
    """This process's name in claims; its heartbeat starts with the first call (once per process, forks included)."""
    with _state_lock:
        if _state["pid"] != os.getpid():
            _state["pid"] = os.getpid()
            _state["id"] = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
            _beat(_state["id"])  # beating before the first claim names it
            threading.Thread(target=_beat_forever, args=(_state["id"],), name="heartbeat", daemon=True).start()
        return _state["id"]


def _beat(worker: str) -> None:
    try:
        redis_client().set(_alive_key(worker), 1, ex=HEARTBEAT_TTL)
    except RedisError as error:  # Redis is away: beat again when it is back, well within the reconciler's grace
        logger.debug("Heartbeat of %s not sent: %s", worker, error)


def _beat_forever(worker: str) -> None:
    while True:
        time.sleep(HEARTBEAT_SECONDS)
        _beat(worker)


def workers_dead(workers: set[str]) -> set[str]:
    """The workers among these whose heartbeat has been missing for at least HEARTBEAT_TTL, as seen by this and an
    earlier call; a worker missed for the first time is remembered, not yet declared dead."""
    workers = sorted(workers)
    if not workers:
        return set()
    client = redis_client()
    beats = client.mget([_alive_key(worker) for worker in workers])
    dead, now = set(), time.time()
    for worker, beat in zip(workers, beats):
        if beat is not None:
            client.delete(_missing_key(worker))
        elif not client.set(_missing_key(worker), now, nx=True, ex=_MISSING_MEMORY):
            since = client.get(_missing_key(worker))
            if since is not None and now - float(since) >= HEARTBEAT_TTL:
                dead.add(worker)
    return dead


def workers_silent(workers: set[str]) -> set[str]:
    """The workers among these with no heartbeat right now (one look: for a message Redis redelivered, which already
    says its first consumer went an hour without acknowledging it)."""
    workers = sorted(workers)
    if not workers:
        return set()
    beats = redis_client().mget([_alive_key(worker) for worker in workers])
    return {worker for worker, beat in zip(workers, beats) if beat is None}
