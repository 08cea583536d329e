"""Fault 5b: Redis is down while uploads arrive. Each upload either answers 201 with its ids, and its photos are
processed once the broker is back (the reconciler resends what could not be sent), or answers 503 and stores nothing.
"""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gallery.models import Photo
from tests.faults.conftest import assert_every_photo_final, small_photos

pytestmark = [pytest.mark.worker, pytest.mark.own_workers, pytest.mark.django_db(transaction=True)]


def test_uploads_during_a_redis_outage_get_their_ids_and_are_processed_within_a_minute(
    private_redis, start_worker, api, user
):
    start_worker(beat=True, PHOTO_RECONCILE_SECONDS="1")
    private_redis.stop()
    created, refused = [], 0
    for i in range(3):
        files = small_photos(2, offset=2 * i)
        response = api.post("/api/photos/", {"files": [SimpleUploadedFile(n, c) for n, c in files.items()]})
        if response.status_code == 201:
            created += [photo["id"] for photo in response.json()["created"]]
        else:
            assert response.status_code == 503 and response.json()["detail"], response.content
            refused += 1
    private_redis.start()
    back = time.monotonic()
    assert created, "every upload was refused"
    assert sorted(Photo.objects.filter(owner=user).values_list("id", flat=True)) == sorted(created)  # 503: no row
    assert_every_photo_final(user, created, timeout=90)
    assert time.monotonic() - back <= 60
