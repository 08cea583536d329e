"""Fault 2: a photo deleted while its batch of 32 is being processed strands none of the other 31."""

import pytest

from gallery.models import Photo
from tests.conftest import wait_for
from tests.faults.conftest import assert_every_photo_final, small_photos, upload

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_photo_deleted_mid_batch_leaves_the_other_31_ready(celery_worker, api, user, settings):
    ids = upload(api, small_photos(settings.SEARCH_EMBED_BATCH, side=480))
    victim = ids[len(ids) // 2]
    wait_for(lambda: Photo.objects.filter(id=victim, status="processing").exists(), timeout=120, interval=0.01)
    # Deleted for good (a plain DELETE only moves a photo to the trash, where its row stays).
    assert api.post("/api/photos/bulk/delete/", {"ids": [victim]}, format="json").json() == {"deleted": 1}
    assert_every_photo_final(user, ids, deleted=[victim])
