"""Fault 3: Redis loses the queued messages (a restart without persistence); the reconciler finds the photos
pending and has them processed, with nobody retrying or re-uploading anything."""

import pytest

from tests.faults.conftest import RECONCILER, assert_every_photo_final, small_photos, upload

pytestmark = [pytest.mark.worker, pytest.mark.own_workers, pytest.mark.django_db(transaction=True)]


def test_photos_whose_messages_redis_lost_are_processed_by_the_reconciler(private_redis, start_worker, api, user):
    ids = upload(api, small_photos(40))  # queued while no worker runs
    private_redis.restart()  # the queue is gone; the 40 rows stay pending
    start_worker(beat=True, **RECONCILER)
    assert_every_photo_final(user, ids)


def test_stuck_pending_photo_can_be_retried_by_its_owner(private_redis, start_worker, api, user):
    [photo_id] = upload(api, small_photos(1))
    private_redis.restart()
    assert api.post(f"/api/photos/{photo_id}/retry/").status_code == 202
    start_worker()  # no reconciler: the retry alone brings it to ready
    assert_every_photo_final(user, [photo_id])
