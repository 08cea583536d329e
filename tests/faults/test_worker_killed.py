"""Fault 5: the worker is killed (SIGKILL) mid-upload; the reconciler re-queues the photos it left processing
long before Redis' visibility timeout (an hour) would redeliver them."""

import signal

import pytest

from gallery.models import Photo
from tests.conftest import wait_for
from tests.faults.conftest import RECONCILER, assert_every_photo_final, small_photos, upload

pytestmark = [pytest.mark.worker, pytest.mark.own_workers, pytest.mark.django_db(transaction=True)]


def test_photos_of_a_killed_worker_are_reprocessed_by_the_reconciler(start_worker, api, user):
    first = start_worker()
    ids = upload(api, small_photos(64, side=480))
    wait_for(lambda: Photo.objects.filter(id__in=ids, status="processing").exists(), timeout=120, interval=0.01)
    first.send_signal(signal.SIGKILL)
    first.wait()
    start_worker(beat=True, **RECONCILER)
    assert_every_photo_final(user, ids)
    assert max(Photo.objects.filter(id__in=ids).values_list("attempts", flat=True)) <= 2
