"""Fault 5: the worker is killed (SIGKILL) mid-batch. Its heartbeat stops, and the reconciler takes its photos back
within a minute, PHOTO_STUCK_SECONDS (300 s) notwithstanding; a long batch whose worker beats is never re-run."""

import signal
import time

import pytest

from gallery.models import Photo
from tests.conftest import wait_for
from tests.faults.conftest import assert_every_photo_final, small_photos, upload

pytestmark = [pytest.mark.worker, pytest.mark.own_workers, pytest.mark.django_db(transaction=True)]


def test_photos_of_a_killed_worker_are_taken_back_within_a_minute(start_worker, api, user):
    doomed = start_worker()
    start_worker(beat=True, PHOTO_RECONCILE_SECONDS="1")  # the site's other worker, already warm
    ids = upload(api, small_photos(64, side=480))
    wait_for(
        lambda: Photo.objects.filter(id__in=ids, status="processing", claimed_by__contains=f"-{doomed.pid}-").exists(),
        timeout=120,
        interval=0.01,
    )
    doomed.send_signal(signal.SIGKILL)
    doomed.wait()
    killed = time.monotonic()
    assert_every_photo_final(user, ids, timeout=60)
    assert time.monotonic() - killed <= 60
    assert max(Photo.objects.filter(id__in=ids).values_list("attempts", flat=True)) == 2


def test_a_long_batch_is_never_rerun_while_its_worker_beats(start_worker, api, user):
    """Ensure a batch that takes longer than PHOTO_STUCK_SECONDS is left to its live worker, not processed twice."""
    start_worker(beat=True, PHOTO_RECONCILE_SECONDS="1", PHOTO_STUCK_SECONDS="2", PHOTO_RESEND_SECONDS="1")
    ids = upload(api, small_photos(64, side=480))
    assert_every_photo_final(user, ids)
    assert set(Photo.objects.filter(id__in=ids).values_list("attempts", flat=True)) == {1}
