"""Writes to the gallery. Views, the API, the import command and tasks all come through here."""
from __future__ import annotations

import logging
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import IO, Iterable

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import Http404
from PIL import Image

from .images import open_for_derivatives, sharpness, thumbnail_jpeg
from .models import Photo, PhotoTag, Tag
from .validators import ALLOWED_FORMATS, validate_image

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


def photo_create(*, owner: AbstractBaseUser, file: IO[bytes], name: str | None = None) -> Photo:
    """Validate and store one upload, and queue its processing once the row is committed.

    Raises ValidationError for anything that is not an acceptable image, DuplicatePhoto for bytes the owner
    already has. Either way no row and no file are left behind.
    """
    info = validate_image(file)
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
    except IntegrityError:
        # A concurrent upload of the same bytes won the race on the unique (owner, sha256) constraint.
        photo.original.delete(save=False)
        raise DuplicatePhoto(Photo.objects.get(owner=owner, sha256=info.sha256)) from None
    except BaseException:
        photo.original.delete(save=False)
        raise
    return photo


def photos_upload(*, owner: AbstractBaseUser, files: Iterable[IO[bytes]]) -> UploadResult:
    """Store many uploads; each file succeeds or fails on its own. Processing is queued once for the batch."""
    result = UploadResult()
    for file in files:
        name = display_name(getattr(file, "name", None))
        try:
            result.created.append(photo_create(owner=owner, file=file, name=name))
        except DuplicatePhoto as dup:
            result.duplicates.append({"name": name, "photo_id": dup.photo.id})
        except ValidationError as error:
            result.rejected.append({"name": name, "error": " ".join(error.messages)})
    photos_enqueue(photo_ids=[photo.id for photo in result.created])
    return result


def photos_enqueue(*, photo_ids: list[int]) -> None:
    """Queue processing after commit, in batches so the model sees full batches."""
    from .tasks import process_photos_task  # tasks import services; import here to avoid the cycle

    batch = settings.SEARCH_EMBED_BATCH
    for start in range(0, len(photo_ids), batch):
        chunk = photo_ids[start : start + batch]
        transaction.on_commit(lambda chunk=chunk: process_photos_task.delay(chunk))


def photos_process(*, photo_ids: list[int]) -> None:
    """Decode, thumbnail and make searchable. Safe to run twice: finished photos are skipped.

    Each run counts an attempt; a photo whose processing keeps dying (a worker killed by a poison image)
    is marked failed after PHOTO_MAX_ATTEMPTS instead of being retried for ever.
    """
    from search.ingest import photos_index  # the search side of the pipeline: features, tags, index

    pending = Photo.objects.filter(id__in=photo_ids).exclude(status=Photo.Status.READY)
    # One statement for the whole batch: the attempt is on record before any decoding can crash the worker.
    pending.update(attempts=F("attempts") + 1, status=Photo.Status.PROCESSING)
    photos = []
    for photo in pending.select_related("owner"):
        if photo.attempts > settings.PHOTO_MAX_ATTEMPTS:
            _fail(photo, f"Processing was interrupted {photo.attempts - 1} times; giving up.")
        else:
            photos.append(photo)
    # Pillow releases the GIL while decoding and resizing: two threads keep both cores busy (~1.3× on a batch).
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(_decode, photos))
    decoded = []
    with transaction.atomic():
        for photo, (image, thumb, sharp, error) in zip(photos, outcomes):
            if error:
                _fail(photo, error)
                continue
            photo.sharpness = sharp
            fields = ["sharpness"]
            if thumb is not None:
                photo.thumbnail.save("thumb.jpg", ContentFile(thumb), save=False)
                fields.append("thumbnail")
            photo.save(update_fields=fields)
            decoded.append((photo, image))
    if not decoded:
        return
    try:
        photos_index(photos=[p for p, _ in decoded], images=[img for _, img in decoded])
    except Exception as exc:
        logger.exception("Indexing failed for photos %s", [p.id for p, _ in decoded])
        for photo, _ in decoded:
            _fail(photo, f"The photo could not be made searchable: {exc}")
        return
    Photo.objects.filter(id__in=[p.id for p, _ in decoded]).update(status=Photo.Status.READY, error="")


def _decode(photo: Photo) -> tuple[Image.Image | None, bytes | None, float | None, str]:
    """(upright RGB image, thumbnail JPEG if the photo has none yet, sharpness, error).

    No database access: runs in a thread.
    """
    try:
        with photo.original.open("rb") as original:
            image = open_for_derivatives(original)
    except Exception as exc:  # the full decode is the last word on whether the image is usable
        return None, None, None, f"The image could not be decoded: {exc}"
    thumb = None if photo.thumbnail else thumbnail_jpeg(image, size=settings.THUMBNAIL_SIZE)
    return image, thumb, sharpness(image), ""


def _fail(photo: Photo, message: str) -> None:
    photo.status = Photo.Status.FAILED
    photo.error = message
    photo.save(update_fields=["status", "error"])


def photo_retry(*, photo: Photo) -> Photo:
    """Give a failed photo a fresh attempt budget and queue it again."""
    if photo.status != Photo.Status.FAILED:
        raise ValidationError("Only failed photos can be retried.", code="not_failed")
    photo.status, photo.error, photo.attempts = Photo.Status.PENDING, "", 0
    photo.save(update_fields=["status", "error", "attempts"])
    photos_enqueue(photo_ids=[photo.id])
    return photo


def photo_delete(*, photo: Photo) -> None:
    """Delete the row, then its files once the deletion is committed (a rollback keeps both)."""
    from search.ingest import photo_forget

    files = [f for f in (photo.original, photo.thumbnail) if f]
    photo_forget(photo=photo)
    photo.delete()
    for stored in files:
        transaction.on_commit(lambda stored=stored: stored.storage.delete(stored.name))


def tag_normalise(name: str) -> str:
    name = " ".join(name.strip().lower().split())
    if not TAG_PATTERN.match(name):
        raise ValidationError(
            "Tags are 1–63 letters, digits, spaces, hyphens or apostrophes.", code="invalid_tag"
        )
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
            PhotoTag(photo=photo, tag_id=tag_ids[name], source=PhotoTag.Source.AUTO,
                     state=PhotoTag.State.SUGGESTED, confidence=round(confidence, 4))
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


def photos_owned(*, owner: AbstractBaseUser, photo_ids: Iterable[int]) -> list[int]:
    """The ids, checked as the owner's. One id that is not theirs (or does not exist) → Http404, so a bulk
    request changes all of its photos or none."""
    ids = sorted(set(photo_ids))
    if len(ids) > BULK_MAX_PHOTOS:
        raise ValidationError(f"At most {BULK_MAX_PHOTOS} photos at once.", code="too_many")
    if Photo.objects.filter(owner=owner, id__in=ids).count() != len(ids):
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
        [PhotoTag(photo_id=i, tag=tag, source=PhotoTag.Source.USER, state=PhotoTag.State.ACCEPTED)
         for i in ids if i not in have],
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
    changed = (
        PhotoTag.objects.filter(photo_id__in=ids, tag__name=tag_normalise(name), state=PhotoTag.State.SUGGESTED)
        .update(state=state)
    )
    if changed:
        _owner_tags_changed(owner.pk)
    return changed


@transaction.atomic
def tags_bulk_remove(*, owner: AbstractBaseUser, photo_ids: Iterable[int], name: str) -> int:
    """tag_remove on many photos: own tags go, auto tags are remembered as rejected."""
    ids = photos_owned(owner=owner, photo_ids=photo_ids)
    links = PhotoTag.objects.filter(photo_id__in=ids, tag__name=tag_normalise(name))
    rejected = links.filter(source=PhotoTag.Source.AUTO).exclude(state=PhotoTag.State.REJECTED).update(
        state=PhotoTag.State.REJECTED
    )
    deleted, _ = links.filter(source=PhotoTag.Source.USER).delete()
    if rejected or deleted:
        _owner_tags_changed(owner.pk)
    return rejected + deleted


def _tags_changed(photo: Photo) -> None:
    _owner_tags_changed(photo.owner_id)


def _owner_tags_changed(owner_id: int) -> None:
    from search.ingest import tags_changed  # the owner's text projection learns from their tags (debounced)

    tags_changed(owner_id=owner_id)
