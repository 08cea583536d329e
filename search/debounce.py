"""Debounced tasks: requests within a window share one run (index rebuilds, projection training).

A mark in Redis (SET NX with an expiry) says a run is queued. The task clears it as it starts, so a request that
arrives during the run queues a fresh run instead of being missed.
"""

from __future__ import annotations

import functools

import redis
from celery import Task
from django.conf import settings
from django.db import transaction

MARK_SLACK_SECONDS = 600  # a mark outlives its run's countdown by this much, then a lost run stops blocking


def redis_client() -> redis.Redis:
    """Debounce marks and locks live in Redis, next to the Celery queue (one pool per process and URL)."""
    return _redis_for(settings.REDIS_URL)


@functools.lru_cache(maxsize=4)
def _redis_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def _mark(key: str) -> str:
    return f"searchsite:scheduled:{key}"


def debounce(*, key: str, task: Task, args: tuple, delay: float) -> None:
    """Run ``task(*args)`` in ``delay`` seconds, once the transaction commits, unless a run is already queued."""

    def send() -> None:
        client = redis_client()
        if not client.set(_mark(key), 1, nx=True, ex=int(delay) + MARK_SLACK_SECONDS):
            return
        try:
            task.apply_async(args, countdown=delay)
        except BaseException:
            client.delete(_mark(key))  # nothing was queued: the next request must be able to queue
            raise

    transaction.on_commit(send)


def debounce_started(*, key: str) -> None:
    """The run begins: later requests queue a new run."""
    redis_client().delete(_mark(key))
