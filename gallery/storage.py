"""Where photos' files go: written whole or not at all, and never onto a disk that is (nearly) full.

Every original and thumbnail is written through ``AtomicFileSystemStorage`` (STORAGES["default"]): a file is
written under a temporary name in its final folder and renamed once complete, so a full disk, a killed process
or a crash mid-write never leaves a partial file under a name a row could point at.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import uuid
from contextlib import suppress
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import DatabaseError
from django.template.defaultfilters import filesizeformat

logger = logging.getLogger(__name__)

# A photo failed for lack of space carries exactly this reason: the reconciler finds such photos by it and
# queues them again once there is room (gallery.services.photos_resume_after_no_space).
NO_SPACE_REASON = "No space left on the server's disk. Processing resumes by itself once space is freed."
# What a client is told to wait before retrying an upload refused for lack of space: an operator must act.
RETRY_AFTER_SECONDS = 300
PARTIAL_PREFIX = ".partial-"
_DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
# SQLite's and PostgreSQL's words for a full disk under the database (SQLITE_FULL; SQLSTATE 53100).
_DATABASE_FULL = ("database or disk is full", "No space left on device")


class StorageFull(Exception):
    """There is no room to store a photo's file: the server's fault, not the file's (HTTP 507)."""

    def __init__(self, detail: str = ""):
        super().__init__(
            detail
            or "The server has no space left to store photos. Nothing from this upload was kept; try again later."
        )


def is_disk_full(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or what caused it) is the disk or a disk quota being full, for files or the database."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, StorageFull):
            return True
        if isinstance(exc, OSError) and exc.errno in _DISK_FULL_ERRNOS:
            return True
        if isinstance(exc, DatabaseError) and any(words in str(exc) for words in _DATABASE_FULL):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def free_bytes() -> int:
    """Free bytes on the file system that holds MEDIA_ROOT (its nearest existing folder on a fresh site)."""
    folder = Path(settings.MEDIA_ROOT)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return shutil.disk_usage(folder).free


def has_room(*, size: int = 0) -> bool:
    """Whether ``size`` more bytes still leave STORAGE_MIN_FREE_BYTES free."""
    return free_bytes() - size >= settings.STORAGE_MIN_FREE_BYTES


def free_space_check(*, size: int) -> None:
    """Raise StorageFull, before anything is written, if storing ``size`` bytes would leave the disk with less
    than STORAGE_MIN_FREE_BYTES free."""
    free = free_bytes()
    if free - size < settings.STORAGE_MIN_FREE_BYTES:
        logger.error(
            "Upload refused, no space left: %s free on the media disk, %s needed besides STORAGE_MIN_FREE_BYTES=%s",
            free,
            size,
            settings.STORAGE_MIN_FREE_BYTES,
        )
        raise StorageFull(
            f"The server is out of storage space ({filesizeformat(max(free, 0))} free). Nothing from this upload "
            "was kept; try again later."
        )


class AtomicFileSystemStorage(FileSystemStorage):
    """FileSystemStorage that writes to a temporary name beside the final one and renames it when complete."""

    def _save(self, name: str, content) -> str:
        folder, base = os.path.split(name)
        partial = os.path.join(folder, f"{PARTIAL_PREFIX}{uuid.uuid4().hex}-{base}")
        try:
            partial = super()._save(partial, content)
            # The final name is new (get_available_name chose it, and upload_to makes it a fresh uuid).
            os.replace(self.path(partial), self.path(name))
        except BaseException:
            with suppress(FileNotFoundError):
                os.remove(self.path(partial))
            raise
        return name
