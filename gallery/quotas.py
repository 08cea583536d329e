"""Per-user upload limits, enforced by photo_create (the one path every upload takes).

- Storage: the sizes of a user's originals may total at most ``STORAGE_QUOTA_BYTES``. Checked after the new row
  is inserted and the owner's row is locked, inside the same transaction, so concurrent uploads by one user are
  counted one after the other and the limit holds to the byte (on SQLite the insert itself takes the
  database's write lock first).
- Rate: at most ``UPLOAD_RATE_BYTES_PER_HOUR`` bytes received per user per clock hour, counted atomically in the
  Django cache (Redis) before any decoding, whatever becomes of the file.
"""

from __future__ import annotations

import logging
import math
import time

import redis.exceptions
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat

from . import selectors

logger = logging.getLogger(__name__)
RATE_WINDOW_SECONDS = 3600


class StorageQuotaExceeded(ValidationError):
    def __init__(self, *, used: int, size: int):
        quota = settings.STORAGE_QUOTA_BYTES
        super().__init__(
            f"Storage quota reached: this file is {filesizeformat(size)} and you use {filesizeformat(used)} of "
            f"your {filesizeformat(quota)} (STORAGE_QUOTA_BYTES = {quota} bytes). Delete photos to make room.",
            code="storage_quota",
        )


class UploadRateExceeded(ValidationError):
    def __init__(self, *, wait: float):
        self.wait = max(1, math.ceil(wait))
        limit = settings.UPLOAD_RATE_BYTES_PER_HOUR
        super().__init__(
            f"Upload rate limit reached: at most {filesizeformat(limit)} per hour "
            f"(UPLOAD_RATE_BYTES_PER_HOUR = {limit} bytes). Try again in {math.ceil(self.wait / 60)} minutes.",
            code="upload_rate",
        )


def upload_rate_remaining(*, owner: AbstractBaseUser) -> tuple[int, float]:
    """(bytes the owner may still upload this hour, seconds until the hour turns), without counting anything.

    While Redis is unreachable the whole rate is reported free, as upload_rate_consume then counts nothing.
    """
    now = time.time()
    window = int(now // RATE_WINDOW_SECONDS)
    try:
        received = cache.get(_rate_key(owner, window), 0)
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
        received = 0
    return max(0, settings.UPLOAD_RATE_BYTES_PER_HOUR - received), (window + 1) * RATE_WINDOW_SECONDS - now


def upload_rate_consume(*, owner: AbstractBaseUser, size: int) -> None:
    """Count `size` received bytes against the owner's hourly rate; raise UploadRateExceeded past it.

    While Redis is unreachable the rate is not counted (logged): the upload is still stored and queued later,
    and the storage quota, which the database enforces, still holds.
    """
    now = time.time()
    window = int(now // RATE_WINDOW_SECONDS)
    key = _rate_key(owner, window)
    try:
        cache.add(key, 0, timeout=RATE_WINDOW_SECONDS + 60)
        received = cache.incr(key, size)
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as error:
        logger.warning("Upload rate not counted, Redis unavailable: %s", error)
        return
    if received > settings.UPLOAD_RATE_BYTES_PER_HOUR:
        cache.decr(key, size)  # refused: these bytes are not kept, so they don't use up the next attempt
        raise UploadRateExceeded(wait=(window + 1) * RATE_WINDOW_SECONDS - now)


def _rate_key(owner: AbstractBaseUser, window: int) -> str:
    return f"upload-rate:{owner.pk}:{window}"


def storage_quota_check(*, owner: AbstractBaseUser, size: int, exact: bool = True) -> None:
    """Raise StorageQuotaExceeded if a new photo of `size` bytes does not fit.

    exact=True: call inside the transaction, after inserting the new photo (raising rolls it back); the owner's
    row is locked first. exact=False: a quick check before anything is written, which races may pass.
    """
    if exact:
        get_user_model().objects.select_for_update().filter(pk=owner.pk).first()  # one upload per owner at a time
        used = selectors.storage_used(owner=owner) - size  # the new photo is already counted
    else:
        used = selectors.storage_used(owner=owner)
    if used + size > settings.STORAGE_QUOTA_BYTES:
        raise StorageQuotaExceeded(used=used, size=size)
