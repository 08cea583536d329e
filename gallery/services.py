"""Writes to the gallery. Views, the API, the import command and tasks all come through here."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Collection, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import IO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.http import Http404
from django.utils import timezone
from PIL import Image

from accounts import throttling

from . import quotas, signals, storage
from .images import open_for_derivatives, sharpness, thumbnail_jpeg
from .models import Album, AlbumLink, AlbumMember, AlbumPhoto, Photo, PhotoTag, Tag
from .selectors import link_digest, link_live
from .validators import ALLOWED_FORMATS, size_of, validate_image

logger = logging.getLogger(__name__)
TAG_PATTERN = re.compile(r"^[\w][\w \-']{0,62}$")


class DuplicatePhoto(Exception):
    """The owner already has a photo with exactly these bytes."""

    def __init__(self, photo: Photo):
        super().__init__(f"Already in your gallery as “{photo.original_name}”.")
        self.photo = photo


@dataclass
class UploadResult:
    created: list[Photo] = field(default_factory=list)
    duplicates: list[dict] = field(default_factory=list)  # {"name", "photo_id"}
    rejected: list[dict] = field(default_factory=list)  # {"name", "error"}


def display_name(name: str | None) -> str:
    """The client's name, for display only: no directories or control characters (files use generated names)."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:255] or "unnamed"


def photo_create(
    *, owner: AbstractBaseUser, file: IO[bytes], name: str | None = None, rate_limited: bool = True
) -> Photo:
    """Validate and store one upload (the caller announces it: photos_announce, once per batch).

    Raises ValidationError for anything that is not an acceptable image or over a quota (gallery/quotas.py),
    DuplicatePhoto for bytes the owner already has, storage.StorageFull when the disk has no room for it.
    Whatever happens, no row and no file (whole or partial) are left behind.
    rate_limited=False is for the operator's own import command: the storage quota still applies.
    """
    size = size_of(file)
    if rate_limited:
        quotas.upload_rate_consume(owner=owner, size=size)  # before any decoding
    quotas.storage_quota_check(owner=owner, size=size, exact=False)  # cheap early refusal, before any writing
    storage.free_space_check(size=size)
    info = validate_image(file, size=size)
    existing = Photo.objects.filter(owner=owner, sha256=info.sha256).first()
    if existing:
        raise DuplicatePhoto(existing)
    photo = Photo(
        owner=owner,
        original_name=display_name(name or getattr(file, "name", None)),
        sha256=info.sha256,
        size_bytes=info.size,
        format=ALLOWED_FORMATS[info.format],
        width=info.width,
        height=info.height,
        taken_at=info.taken_at,
        latitude=info.latitude,
        longitude=info.longitude,
    )
    try:
        with transaction.atomic():
            photo.original.save("upload", File(file), save=False)
            photo.save()
            quotas.storage_quota_check(owner=owner, size=info.size)
    except IntegrityError:
        # A concurrent upload of the same bytes won the race on the unique (owner, sha256) constraint.
        photo.original.delete(save=False)
        raise DuplicatePhoto(Photo.objects.get(owner=owner, sha256=info.sha256)) from None
    except BaseException as exc:
        photo.original.delete(save=False)  # the storage already removed a partial write
        if storage.is_disk_full(exc) and not isinstance(exc, storage.StorageFull):
            logger.error("Upload not stored, no space left: %s", exc)
            raise storage.StorageFull() from exc
        raise
    return photo


def photos_upload(*, owner: AbstractBaseUser, files: Iterable[IO[bytes]]) -> UploadResult:
    """Store many uploads; each file succeeds or fails on its own. Processing is announced once for the batch.

    Except for a full disk (storage.StorageFull): then the photos this call already stored are removed again
    and nothing is kept, so the client, told to retry later, retries the whole request without duplicates.
    """
    result = UploadResult()
    for file in files:
        name = display_name(getattr(file, "name", None))
        try:
            result.created.append(photo_create(owner=owner, file=file, name=name))
        except storage.StorageFull:
            _photos_discard(photos=result.created)
            raise
        except DuplicatePhoto as dup:
            result.duplicates.append({"name": name, "photo_id": dup.photo.id})
        except ValidationError as error:
            rejected = {"name": name, "error": " ".join(error.messages), "code": error.code}
            if isinstance(error, quotas.UploadRateExceeded):
                rejected["retry_after"] = error.wait
            result.rejected.append(rejected)
    photos_announce(photo_ids=[photo.id for photo in result.created])
    return result


def _photos_discard(*, photos: list[Photo]) -> None:
    """Remove photos stored moments ago by the same request, before anyone was told of them (no signal)."""
    Photo.objects.filter(id__in=[photo.id for photo in photos]).delete()
    for photo in photos:
        photo.original.delete(save=False)


def photos_announce(*, photo_ids: list[int]) -> None:
    """Tell whoever processes photos (search, connected in its AppConfig) that these await processing, once
    the rows are committed. If the message is lost, search's reconciler finds the photos pending anyway."""
    if photo_ids:
        transaction.on_commit(lambda: signals.photos_stored.send(sender=Photo, photo_ids=list(photo_ids)))


# The steps below are gallery's part of the pipeline (search.pipeline.photos_process chains them). Each one
# tolerates photos deleted meanwhile: a row that is gone is skipped, never saved, so the batch carries on.


def photos_claim(*, photo_ids: list[int], worker: str, released: Collection[str] = ()) -> list[Photo]:
    """Start processing: the photos still pending (or already this worker's, or held by a worker in ``released``,
    known dead), each with one more attempt on record and claimed by ``worker``. A photo another live worker holds is
    left to it: no photo is processed twice at once.

    A photo whose processing keeps dying (a worker killed by a poison image) is marked failed after
    PHOTO_MAX_ATTEMPTS instead of being retried for ever.
    """
    # An unnamed claim was made before claims named their worker: as before, a redelivered message takes it over.
    claimants = [worker, "", *released]
    claimable = Q(status=Photo.Status.PENDING) | Q(status=Photo.Status.PROCESSING, claimed_by__in=claimants)
    # One statement for the whole batch: the attempt is on record before any decoding can crash the worker.
    Photo.objects.filter(claimable, id__in=photo_ids).update(
        attempts=F("attempts") + 1, status=Photo.Status.PROCESSING, claimed_by=worker, status_changed_at=timezone.now()
    )
    claimed = Photo.objects.filter(id__in=photo_ids, status=Photo.Status.PROCESSING, claimed_by=worker)
    photos = []
    for photo in claimed.select_related("owner"):
        if photo.attempts > settings.PHOTO_MAX_ATTEMPTS:
            photo_fail(photo_id=photo.id, reason=f"Processing was interrupted {photo.attempts - 1} times; giving up.")
        else:
            photos.append(photo)
    return photos


@dataclass
class Decoded:
    photo: Photo
    image: Image.Image | None  # upright RGB
    thumbnail: bytes | None  # JPEG, if the photo has none yet
    error: str = ""
    sharpness: float | None = None  # images.sharpness


def photos_decode(*, photos: list[Photo], model_side: int) -> list[Decoded]:
    """Decode each original upright to RGB (once, for the thumbnail and the model alike); no database access.

    ``model_side`` is the image model's input side: the decode is no smaller than that on the short side.
    """
    # Pillow releases the GIL while decoding and resizing: two threads keep both cores busy.
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(lambda photo: _decode(photo, model_side=model_side), photos))


def _decode(photo: Photo, *, model_side: int) -> Decoded:
    try:
        with photo.original.open("rb") as original:
            image = open_for_derivatives(original, model_side=model_side)
    except Exception as exc:  # the full decode is the last word on whether the image is usable
        return Decoded(photo, None, None, f"The image could not be decoded: {exc}")
    thumb = None if photo.thumbnail else thumbnail_jpeg(image, size=settings.THUMBNAIL_SIZE)
    return Decoded(photo, image, thumb, sharpness=sharpness(image))


def photos_thumbnail(*, decoded: list[Decoded]) -> list[tuple[Photo, Image.Image]]:
    """Store new thumbnails (and sharpness) and fail the undecodable photos; (photo, image) for those that go on."""
    going_on, no_space = [], []
    for item in decoded:
        if item.error:
            photo_fail(photo_id=item.photo.id, reason=item.error)
            continue
        try:
            stored = _derivatives_store(item)
        except Exception as exc:
            if not storage.is_disk_full(exc):
                raise
            photo_fail_no_space(photo_id=item.photo.id)
            no_space.append(item.photo.id)
            continue
        if stored:
            going_on.append((item.photo, item.image))
    if no_space:
        logger.error("No space left for thumbnails: %s photo(s) wait for space (%s)", len(no_space), no_space)
    return going_on


def _derivatives_store(item: Decoded) -> bool:
    """False if the photo was deleted meanwhile (then no file is left behind)."""
    photo, fields = item.photo, {"sharpness": item.sharpness}
    photo.sharpness = item.sharpness
    if item.thumbnail is not None:
        photo.thumbnail.save("thumb.jpg", ContentFile(item.thumbnail), save=False)
        fields["thumbnail"] = photo.thumbnail.name
    if Photo.objects.filter(id=photo.id).update(**fields):
        return True
    if item.thumbnail is not None:
        photo.thumbnail.storage.delete(photo.thumbnail.name)
    return False


def photos_ready(*, photo_ids: list[int]) -> None:
    """The end of the pipeline: only photos still processing become ready (a deleted one stays deleted)."""
    Photo.objects.filter(id__in=photo_ids, status=Photo.Status.PROCESSING).update(
        status=Photo.Status.READY, error="", status_changed_at=timezone.now()
    )


PLACE_PARTS = ("city", "region", "county", "country", "country_code")


def photo_describe(
    *,
    photo_id: int,
    place: dict[str, str] | None,
    colours: dict[str, float] | None,
    monochrome: bool | None,
    version: int,
) -> None:
    """Store what was read from a photo: its place in words (keys of PLACE_PARTS; None: none) and its colours.
    A photo deleted meanwhile is simply not there to update."""
    fields = {f"place_{part}": (place or {}).get(part, "") for part in PLACE_PARTS}
    Photo.objects.filter(id=photo_id).update(
        **fields, colours=colours, monochrome=monochrome, described_version=version
    )


def photo_fail(*, photo_id: int, reason: str) -> None:
    """Mark one photo failed with its reason; a photo deleted meanwhile is simply not there to mark."""
    Photo.objects.filter(id=photo_id).exclude(status=Photo.Status.READY).update(
        status=Photo.Status.FAILED, error=reason, status_changed_at=timezone.now()
    )


def photo_fail_no_space(*, photo_id: int) -> None:
    """Fail a photo for lack of disk space, taking back the attempt it was given: a full disk is not the photo's
    fault, and photos_resume_after_no_space queues it again once there is room."""
    Photo.objects.filter(id=photo_id).exclude(status=Photo.Status.READY).update(
        status=Photo.Status.FAILED,
        error=storage.NO_SPACE_REASON,
        attempts=F("attempts") - 1,
        status_changed_at=timezone.now(),
    )


def photos_resume_after_no_space() -> list[int]:
    """Photos failed for lack of space go back to pending once the disk has STORAGE_MIN_FREE_BYTES free again;
    the caller queues them. Their attempts are untouched (photo_fail_no_space gave them back)."""
    waiting = Photo.objects.filter(status=Photo.Status.FAILED, error=storage.NO_SPACE_REASON)
    if not waiting.exists() or not storage.has_room():
        return []
    ids = list(waiting.values_list("id", flat=True))
    Photo.objects.filter(id__in=ids, status=Photo.Status.FAILED, error=storage.NO_SPACE_REASON).update(
        status=Photo.Status.PENDING, error="", status_changed_at=timezone.now()
    )
    return ids


def photos_requeue(*, photo_ids: list[int], released: Collection[str]) -> list[int]:
    """Put stuck photos back to pending, unclaimed (the caller then queues them): pending ones, and processing ones
    claimed by a worker in ``released`` (known dead; "" for a claim that names none). A photo that a live worker
    claimed meanwhile stays its own."""
    requeueable = Q(status=Photo.Status.PENDING) | Q(status=Photo.Status.PROCESSING, claimed_by__in=list(released))
    ids = list(Photo.objects.filter(requeueable, id__in=photo_ids).values_list("id", flat=True))
    Photo.objects.filter(requeueable, id__in=ids).update(
        status=Photo.Status.PENDING, claimed_by="", status_changed_at=timezone.now()
    )
    return ids


def photo_retry(*, photo: Photo) -> Photo:
    """Give a failed or stuck photo a fresh attempt budget and queue it again (a ready one has nothing to redo).

    Retrying a photo that is in fact still being processed only repeats work: processing is idempotent.
    """
    if photo.status == Photo.Status.READY:
        raise ValidationError("Only photos that are not ready can be retried.", code="not_failed")
    photo.status, photo.error, photo.attempts = Photo.Status.PENDING, "", 0
    photo.status_changed_at = timezone.now()
    photo.save(update_fields=["status", "error", "attempts", "status_changed_at"])
    photos_announce(photo_ids=[photo.id])
    return photo


def photo_delete(*, photo: Photo) -> None:
    """Delete the row, then its files once the deletion is committed (a rollback keeps both)."""
    files = [f for f in (photo.original, photo.thumbnail) if f]
    signals.photo_deleted.send(sender=Photo, photo=photo)
    photo.delete()
    for stored in files:
        transaction.on_commit(lambda stored=stored: stored.storage.delete(stored.name))


def photos_delete(*, owner: AbstractBaseUser, photo_ids: Iterable[int]) -> int:
    """Delete many of the owner's photos at once, all or none: one id that is not theirs → Http404 and nothing
    goes. Each goes the way photo_delete takes one (row, files after commit, search told through the signal)."""
    ids = photos_owned(owner=owner, photo_ids=photo_ids) if photo_ids else []
    with transaction.atomic():
        for photo in Photo.objects.filter(owner=owner, id__in=ids):
            photo_delete(photo=photo)
    return len(ids)


def tag_normalise(name: str) -> str:
    name = " ".join(name.strip().lower().split())
    if not TAG_PATTERN.match(name):
        raise ValidationError("Tags are 1–63 letters, digits, spaces, hyphens or apostrophes.", code="invalid_tag")
    return name


@transaction.atomic
def tag_add(*, photo: Photo, name: str) -> PhotoTag:
    """The owner tags a photo. On an existing suggestion this is an acceptance (even of a rejected one)."""
    tag, _ = Tag.objects.get_or_create(name=tag_normalise(name))
    link, created = PhotoTag.objects.get_or_create(
        photo=photo, tag=tag, defaults={"source": PhotoTag.Source.USER, "state": PhotoTag.State.ACCEPTED}
    )
    if not created and link.state != PhotoTag.State.ACCEPTED:
        link.state = PhotoTag.State.ACCEPTED
        link.save(update_fields=["state"])
    _tags_changed(photo)
    return link


def tags_suggest(*, suggestions: dict[Photo, list[tuple[str, float]]]) -> None:
    """Store model suggestions for many photos in three queries (ingest speed matters).

    Names that cannot be tags are dropped, never fatal. Existing links are left alone: a suggestion never
    overrides the user's own tag or their decision about an earlier suggestion.
    """
    best: dict[tuple[int, str], tuple[Photo, float]] = {}
    for photo, pairs in suggestions.items():
        for raw, confidence in pairs:
            try:
                name = tag_normalise(raw)
            except ValidationError:
                continue
            if (photo.id, name) not in best or best[(photo.id, name)][1] < confidence:
                best[(photo.id, name)] = (photo, confidence)
    names = {name for _, name in best}
    Tag.objects.bulk_create([Tag(name=name) for name in names], ignore_conflicts=True)
    tag_ids = dict(Tag.objects.filter(name__in=names).values_list("name", "id"))
    PhotoTag.objects.bulk_create(
        [
            PhotoTag(
                photo=photo,
                tag_id=tag_ids[name],
                source=PhotoTag.Source.AUTO,
                state=PhotoTag.State.SUGGESTED,
                confidence=round(confidence, 4),
            )
            for (_, name), (photo, confidence) in best.items()
        ],
        ignore_conflicts=True,
    )


@transaction.atomic
def tag_remove(*, photo: Photo, name: str) -> None:
    """Remove a tag. An auto tag is remembered as rejected so reprocessing does not suggest it again."""
    link = PhotoTag.objects.filter(photo=photo, tag__name=tag_normalise(name)).first()
    if link is None:
        return
    if link.source == PhotoTag.Source.AUTO:
        link.state = PhotoTag.State.REJECTED
        link.save(update_fields=["state"])
    else:
        link.delete()
    _tags_changed(photo)


def tag_decide(*, photo: Photo, name: str, accept: bool) -> PhotoTag:
    """Accept or reject an auto suggestion."""
    link = PhotoTag.objects.filter(photo=photo, tag__name=tag_normalise(name)).first()
    if link is None:
        raise ValidationError(f"The photo has no tag “{name}”.", code="no_tag")
    link.state = PhotoTag.State.ACCEPTED if accept else PhotoTag.State.REJECTED
    link.save(update_fields=["state"])
    _tags_changed(photo)
    return link


BULK_MAX_PHOTOS = 1000  # one request's worth of ids; also the most a page of the photo API returns


def photos_owned(*, owner: AbstractBaseUser, photo_ids: Iterable[int], trashed: bool = False) -> list[int]:
    """The ids, checked as the owner's photos outside the trash (``trashed=True``: in it). One id that is not
    (another user's, unknown, or on the wrong side of the trash) → Http404, so a bulk request changes all of its
    photos or none."""
    ids = sorted(set(photo_ids))
    if len(ids) > BULK_MAX_PHOTOS:
        raise ValidationError(f"At most {BULK_MAX_PHOTOS} photos at once.", code="too_many")
    found = Photo.objects.filter(owner=owner, id__in=ids, trashed_at__isnull=not trashed).count()
    if found != len(ids):
        raise Http404("No such photo.")
    return ids


@transaction.atomic
def tags_bulk_add(*, owner: AbstractBaseUser, photo_ids: Iterable[int], name: str) -> int:
    """Tag many of the owner's photos in a few queries, as tag_add does one: an existing suggestion (even a
    rejected one) becomes accepted. Returns how many photos changed."""
    ids = photos_owned(owner=owner, photo_ids=photo_ids)
    tag, _ = Tag.objects.get_or_create(name=tag_normalise(name))
    links = PhotoTag.objects.filter(photo_id__in=ids, tag=tag)
    have = set(links.values_list("photo_id", flat=True))
    changed = links.exclude(state=PhotoTag.State.ACCEPTED).update(state=PhotoTag.State.ACCEPTED)
    created = PhotoTag.objects.bulk_create(
        [
            PhotoTag(photo_id=i, tag=tag, source=PhotoTag.Source.USER, state=PhotoTag.State.ACCEPTED)
            for i in ids
            if i not in have
        ],
        ignore_conflicts=True,
    )
    if changed or created:
        _owner_tags_changed(owner.pk)
    return changed + len(created)


@transaction.atomic
def tags_bulk_decide(*, owner: AbstractBaseUser, photo_ids: Iterable[int], name: str, accept: bool) -> int:
    """Accept or reject one suggestion on every selected photo that has it; the others are left alone.
    Returns how many photos changed."""
    ids = photos_owned(owner=owner, photo_ids=photo_ids)
    state = PhotoTag.State.ACCEPTED if accept else PhotoTag.State.REJECTED
    changed = PhotoTag.objects.filter(
        photo_id__in=ids, tag__name=tag_normalise(name), state=PhotoTag.State.SUGGESTED
    ).update(state=state)
    if changed:
        _owner_tags_changed(owner.pk)
    return changed


@transaction.atomic
def tags_bulk_remove(*, owner: AbstractBaseUser, photo_ids: Iterable[int], name: str) -> int:
    """tag_remove on many photos: own tags go, auto tags are remembered as rejected."""
    ids = photos_owned(owner=owner, photo_ids=photo_ids)
    links = PhotoTag.objects.filter(photo_id__in=ids, tag__name=tag_normalise(name))
    rejected = (
        links.filter(source=PhotoTag.Source.AUTO)
        .exclude(state=PhotoTag.State.REJECTED)
        .update(state=PhotoTag.State.REJECTED)
    )
    deleted, _ = links.filter(source=PhotoTag.Source.USER).delete()
    if rejected or deleted:
        _owner_tags_changed(owner.pk)
    return rejected + deleted


def _tags_changed(photo: Photo) -> None:
    _owner_tags_changed(photo.owner_id)


def _owner_tags_changed(owner_id: int) -> None:
    signals.tags_changed.send(sender=Photo, owner_id=owner_id)  # search retrains the owner's projection


# Favourites, trash and albums. Bulk services take the owner and ids and check them with photos_owned.


def photos_favourite(*, owner: AbstractBaseUser, photo_ids: Iterable[int], favourite: bool) -> int:
    ids = photos_owned(owner=owner, photo_ids=photo_ids)
    return Photo.objects.filter(id__in=ids).exclude(favourite=favourite).update(favourite=favourite)


def photos_archive(*, owner: AbstractBaseUser, photo_ids: Iterable[int], archived: bool) -> int:
    """Hide photos from the timeline (or bring them back); they stay in albums and search results."""
    ids = photos_owned(owner=owner, photo_ids=photo_ids)
    return Photo.objects.filter(id__in=ids).exclude(archived=archived).update(archived=archived)


def photos_trash(*, owner: AbstractBaseUser, photo_ids: Iterable[int]) -> int:
    """Delete, undoably: the photos leave the gallery, albums and search results, and stay restorable for
    TRASH_KEEP_DAYS. Their files and vectors stay until the trash is emptied."""
    ids = photos_owned(owner=owner, photo_ids=photo_ids)
    return Photo.objects.filter(id__in=ids).update(trashed_at=timezone.now())


def photos_restore(*, owner: AbstractBaseUser, photo_ids: Iterable[int]) -> int:
    ids = photos_owned(owner=owner, photo_ids=photo_ids, trashed=True)
    return Photo.objects.filter(id__in=ids).update(trashed_at=None)


def photos_delete_forever(*, owner: AbstractBaseUser, photo_ids: Iterable[int]) -> int:
    """Delete photos in the trash for good: rows, files, vectors and index entries (photo_delete)."""
    ids = photos_owned(owner=owner, photo_ids=photo_ids, trashed=True)
    return _delete_all(Photo.objects.filter(id__in=ids))


def trash_empty(*, owner: AbstractBaseUser) -> int:
    return _delete_all(Photo.objects.filter(owner=owner, trashed_at__isnull=False))


def trash_purge() -> int:
    """Delete for good every photo that has been in a trash for more than TRASH_KEEP_DAYS (a periodic task)."""
    cutoff = timezone.now() - timedelta(days=settings.TRASH_KEEP_DAYS)
    return _delete_all(Photo.objects.filter(trashed_at__lt=cutoff))


def _delete_all(photos) -> int:
    deleted = 0
    for photo in photos.order_by("id").iterator():
        with transaction.atomic():  # one photo at a time: a failure keeps the rest of the work done
            photo_delete(photo=photo)
        deleted += 1
    return deleted


def album_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name or len(name) > 100:
        raise ValidationError("An album name is 1–100 characters.", code="invalid_album_name")
    return name


def album_create(*, owner: AbstractBaseUser, name: str, photo_ids: Iterable[int] = ()) -> Album:
    with transaction.atomic():
        album = Album.objects.create(owner=owner, name=album_name(name))
        if photo_ids:
            album_photos_add(album=album, photo_ids=photo_ids)
    return album


def album_rename(*, album: Album, name: str) -> Album:
    album.name = album_name(name)
    album.save(update_fields=["name"])
    return album


def album_delete(*, album: Album) -> None:
    """The album goes; its photos stay in the gallery."""
    album.delete()


@transaction.atomic
def album_photos_add(*, album: Album, photo_ids: Iterable[int], by: AbstractBaseUser | None = None) -> int:
    """Put photos of ``by`` (the album's owner, or a contributor: the caller checked the role) in the album."""
    by = by or album.owner
    ids = photos_owned(owner=by, photo_ids=photo_ids)
    have = set(AlbumPhoto.objects.filter(album=album, photo_id__in=ids).values_list("photo_id", flat=True))
    # ignore_conflicts: a concurrent add of the same photo is not an error (and bulk_create's return value
    # then counts rows it did not insert, hence the count from `have`).
    AlbumPhoto.objects.bulk_create(
        [AlbumPhoto(album=album, photo_id=i, added_by=by) for i in ids if i not in have], ignore_conflicts=True
    )
    return len(ids) - len(have)


@transaction.atomic
def album_photos_remove(*, album: Album, photo_ids: Iterable[int], by: AbstractBaseUser | None = None) -> int:
    """Take photos out of the album. The owner takes out any (their own photos need not be in it); a
    contributor only what they added. One id beyond that → Http404 and nothing changes."""
    by, photo_ids = by or album.owner, list(photo_ids)
    if by.pk == album.owner_id:
        in_album = AlbumPhoto.objects.filter(album=album, photo_id__in=list(photo_ids)).values_list(
            "photo_id", flat=True
        )
        others = set(photo_ids) - set(in_album)
        ids = sorted(set(in_album) | set(photos_owned(owner=by, photo_ids=others) if others else []))
    else:
        ids = sorted(set(photo_ids))
        if len(ids) > BULK_MAX_PHOTOS:
            raise ValidationError(f"At most {BULK_MAX_PHOTOS} photos at once.", code="too_many")
        if AlbumPhoto.objects.filter(album=album, photo_id__in=ids, added_by=by).count() != len(ids):
            raise Http404("No such photo.")
    removed, _ = AlbumPhoto.objects.filter(album=album, photo_id__in=ids).delete()
    if album.cover_id in ids:
        album.cover = None
        album.save(update_fields=["cover"])
    return removed


def album_set_cover(*, album: Album, photo_id: int) -> Album:
    if not AlbumPhoto.objects.filter(album=album, photo_id=photo_id, photo__trashed_at__isnull=True).exists():
        raise ValidationError("The cover must be a photo in the album.", code="cover_not_in_album")
    album.cover_id = photo_id
    album.save(update_fields=["cover"])
    return album


# Sharing: links for anyone, and members (other accounts). Who may see what is gallery.selectors.photo_access.

LINKS_PER_ALBUM = 50
MEMBERS_PER_ALBUM = 100
LINK_TOKEN_BYTES = 32  # 256 random bits, URL-safe base64 (43 characters)
LINK_PASSWORD_MAX = 128
# Where a browser session remembers the links whose password it gave (link ids); the link is still checked
# live on every request, so revoking it ends these too.
SESSION_UNLOCKED = "share_links_unlocked"


class LinkPasswordRequired(Exception):
    """The link is live but asks for a password this request did not give (401, never a 404)."""


def link_create(
    *,
    album: Album,
    expires_at=None,
    password: str = "",
    allow_download: bool = False,
    show_location: bool = False,
    label: str = "",
) -> tuple[AlbumLink, str]:
    """A new link to the album; returns it and its token, which is stored only as a hash (shown this once)."""
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": ["The expiry must be in the future."]})
    if len(password) > LINK_PASSWORD_MAX:
        raise ValidationError({"password": [f"A link password is at most {LINK_PASSWORD_MAX} characters."]})
    if AlbumLink.objects.filter(album=album, revoked_at__isnull=True).count() >= LINKS_PER_ALBUM:
        raise ValidationError(f"An album has at most {LINKS_PER_ALBUM} live links; revoke one first.", code="too_many")
    token = secrets.token_urlsafe(LINK_TOKEN_BYTES)
    link = AlbumLink.objects.create(
        album=album,
        digest=link_digest(token),
        prefix=token[:6],
        label=" ".join(label.split())[:100],
        password=make_password(password) if password else "",
        expires_at=expires_at,
        allow_download=allow_download,
        show_location=show_location,
    )
    return link, token


def link_revoke(*, link: AlbumLink) -> AlbumLink:
    """End a link at once (the next request through it is a 404); revoking twice keeps the first time."""
    AlbumLink.objects.filter(id=link.id, revoked_at__isnull=True).update(revoked_at=timezone.now())
    link.refresh_from_db()
    return link


def link_open(*, request, token: str, password: str | None = None) -> AlbumLink:
    """The live link this token names, for this request. Http404 for a wrong, expired or revoked token and for a
    wrong password, LinkPasswordRequired when the password is missing; Throttled past the guessing limits.

    Guessing is throttled like log-in (accounts/throttling.py): an address that sent too many tokens naming no
    live link is refused before any lookup; a link's password goes through the log-in throttle, the link
    standing in for the account, before it is hashed. A session that gave the right password is remembered.
    """
    throttling.misses_check(request)
    link = link_live(token=token)
    if link is None:
        throttling.miss_record(request)
        raise Http404("No such link.")
    if link.password and link.id not in request.session.get(SESSION_UNLOCKED, []):
        if not password:
            raise LinkPasswordRequired()
        attempt = throttling.attempt_begin(request=request, username=f"share-link:{link.id}")
        if not check_password(password, link.password):
            raise Http404("No such link.")
        attempt.succeeded()
        request.session[SESSION_UNLOCKED] = [*request.session.get(SESSION_UNLOCKED, []), link.id]
    return link


def link_viewed(*, link: AlbumLink) -> None:
    """Count one opening of the link (its page or its album through the API), and when."""
    AlbumLink.objects.filter(id=link.id).update(view_count=F("view_count") + 1, last_used_at=timezone.now())


def member_add(*, album: Album, username: str, role: str) -> AlbumMember:
    """Share the album with another account (or change their role). Raises ValidationError for an unknown
    account, the owner themselves, or past MEMBERS_PER_ALBUM."""
    if role not in AlbumMember.Role.values:
        raise ValidationError({"role": [f"The role is one of: {', '.join(AlbumMember.Role.values)}."]})
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ValidationError({"username": ["There is no account with that username."]})
    if user.pk == album.owner_id:
        raise ValidationError({"username": ["The album is yours already."]})
    with transaction.atomic():
        if AlbumMember.objects.filter(album=album).exclude(user=user).count() >= MEMBERS_PER_ALBUM:
            raise ValidationError(f"An album is shared with at most {MEMBERS_PER_ALBUM} accounts.", code="too_many")
        member, created = AlbumMember.objects.get_or_create(album=album, user=user, defaults={"role": role})
        if not created and member.role != role:
            member.role = role
            member.save(update_fields=["role"])
    return member


@transaction.atomic
def member_remove(*, member: AlbumMember) -> None:
    """End a membership (the owner removing someone, or the member leaving), at once. The photos the member
    added of their own leave the album with them: they were shared through that membership."""
    AlbumPhoto.objects.filter(
        album_id=member.album_id, added_by_id=member.user_id, photo__owner_id=member.user_id
    ).delete()
    Album.objects.filter(id=member.album_id, cover__owner_id=member.user_id).update(cover=None)
    member.delete()


def album_seen(*, album: Album, user: AbstractBaseUser) -> None:
    """The member opened the album: its "shared with you" notice goes."""
    AlbumMember.objects.filter(album=album, user=user, seen_at__isnull=True).update(seen_at=timezone.now())
