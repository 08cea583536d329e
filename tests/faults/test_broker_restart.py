"""Fault 4: Redis restarts while the worker holds a countdown task (a debounced index rebuild); the worker
reconnects instead of dying (kombu's AttributeError … 'hostname', patched in searchsite/broker_patch.py)."""

import time

import pytest

from tests.faults.conftest import RECONCILER, assert_every_photo_final, small_photos, upload

pytestmark = [pytest.mark.worker, pytest.mark.own_workers, pytest.mark.django_db(transaction=True)]


def test_worker_survives_a_redis_restart_while_holding_a_countdown_task(private_redis, start_worker, api, user):
    # A long debounce: the rebuild the worker schedules for itself is still waiting when Redis goes away.
    worker = start_worker(beat=True, SEARCH_INDEX_DEBOUNCE_SECONDS="60", **RECONCILER)
    before = upload(api, small_photos(8))
    assert_every_photo_final(user, before)
    time.sleep(1)  # the rebuild's countdown message reaches the worker, which holds it unacknowledged
    private_redis.restart()
    time.sleep(8)  # the worker's reconnection attempts come 2 s, then 4 s apart
    assert worker.poll() is None, "the worker died on reconnect"
    after = upload(api, small_photos(8, offset=8))
    assert_every_photo_final(user, before + after)
    assert worker.poll() is None
