"""The photo pipeline, in one place: upload → decode → thumbnail → describe → embed → tags → index → ready →
duplicates, faces, text.

Gallery owns photos and announces what happens to them (gallery.signals); it knows nothing of search. The
receivers below, connected in SearchConfig.ready(), turn those announcements into tasks. Every photo ends
`ready` or `failed` with a reason: a batch survives any of its photos failing or being deleted, and the
reconciler (a Celery beat task) re-queues photos that stay pending or processing too long, e.g. because their
message was lost with Redis or their worker was killed.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.conf import settings
from django.db import OperationalError
from django.utils import timezone
from PIL import Image

from gallery import selectors as gallery_selectors
from gallery import services as gallery_services
from gallery.models import Photo
from ocr.services import text_read_schedule
from people.services import photos_faces_queue

from . import components, describe, ingest
from .duplicates import duplicates_check_schedule
from .index_versions import index_rebuild_schedule
from .training import projection_train_schedule

logger = logging.getLogger(__name__)

FIRST_CHUNK = 4  # photos in a task's first chunk; later chunks double, up to SEARCH_EMBED_BATCH


def photos_process(*, photo_ids: list[int]) -> None:
    """Take stored photos to `ready` (or `failed` with a reason). Safe to run twice: finished photos are skipped.

    Pipelined: while one chunk runs through the model, the next is decoded and thumbnailed on other threads
    (Pillow and the LiteRT/TensorFlow kernels release the GIL), so neither waits for the other. Chunks grow
    (4, 8, 16…): the first photos of an upload become searchable after a small chunk, not after the whole batch,
    and a photo uploaded alone goes straight through.
    """
    photos = gallery_services.photos_claim(photo_ids=photo_ids)  # upload: stored rows, one more attempt each
    model_side = components.input_size()  # decode no smaller than the model's input
    chunks = _growing_chunks(photos)
    if not chunks:
        return
    with ThreadPoolExecutor(max_workers=1) as prefetch:
        # decode: upright RGB, once for every later step
        decoded = gallery_services.photos_decode(photos=chunks[0], model_side=model_side)
        for following in [*chunks[1:], None]:
            upcoming = following and prefetch.submit(
                gallery_services.photos_decode, photos=following, model_side=model_side
            )
            _photos_finish(decoded)
            decoded = upcoming.result() if upcoming else None


def _photos_finish(decoded: list) -> None:
    """From decoded photos to ready ones: thumbnail, describe, embed, tags, index, ready."""
    going_on = gallery_services.photos_thumbnail(decoded=decoded)  # thumbnail; undecodable photos fail here
    describe.photos_describe(decoded=going_on)  # place in words, colours: never fails a photo
    embedded = _embed_and_tag(going_on)  # embed → tags, a photo's fault failing that photo only
    for owner_id in {photo.owner_id for photo in embedded}:  # index: debounced, searchable meanwhile as a delta
        index_rebuild_schedule(owner_id=owner_id)
    gallery_services.photos_ready(photo_ids=[photo.id for photo in embedded])  # ready
    duplicates_check_schedule(photo_ids=[photo.id for photo in embedded])  # near-duplicates, against the gallery
    photos_faces_queue(photo_ids=[photo.id for photo in embedded])  # faces: their own queue, after ready
    text_read_schedule(photo_ids=[photo.id for photo in embedded])  # text: its own low-priority queue, after ready


def _growing_chunks(photos: list[Photo], first: int = FIRST_CHUNK) -> list[list[Photo]]:
    chunks, size, start = [], first, 0
    while start < len(photos):
        chunks.append(photos[start : start + size])
        start += size
        size = min(size * 2, settings.SEARCH_EMBED_BATCH)
    return chunks


def _embed_and_tag(batch: list[tuple[Photo, Image.Image]]) -> list[Photo]:
    """Embed and tag the batch; if that fails, photo by photo, so only the culprit fails.

    A photo deleted mid-batch breaks the batch's foreign keys; alone, it is simply skipped.
    """
    if not batch:
        return []
    try:
        _embed_and_tag_together(batch)
        return [photo for photo, _ in batch]
    except OperationalError:
        raise  # e.g. a busy database: the task retries the whole batch later
    except Exception as exc:
        if len(batch) > 1:
            logger.warning("Embedding a batch of %s failed; trying its photos one by one", len(batch), exc_info=True)
            alive = set(Photo.objects.filter(id__in=[p.id for p, _ in batch]).values_list("id", flat=True))
            return [done for photo, image in batch if photo.id in alive for done in _embed_and_tag([(photo, image)])]
        photo = batch[0][0]
        if Photo.objects.filter(id=photo.id).exists():  # a photo deleted meanwhile is not a failure
            logger.exception("Embedding failed for photo %s", photo.id)
            gallery_services.photo_fail(photo_id=photo.id, reason=f"The photo could not be made searchable: {exc}")
        return []


def _embed_and_tag_together(batch: list[tuple[Photo, Image.Image]]) -> None:
    # No transaction around the two: the model and the word space run between their writes, and a write lock
    # held that long stalls every request on SQLite. Each write is idempotent, so a failure half-way is redone.
    embedded = ingest.photos_embed(photos=[p for p, _ in batch], images=[image for _, image in batch])
    ingest.photos_tag(embedded=embedded)


def photos_queue(*, photo_ids: list[int]) -> None:
    """Send processing tasks now, in batches so the model sees full batches."""
    from .tasks import photos_process_task  # tasks import this module

    batch = settings.SEARCH_EMBED_BATCH
    for start in range(0, len(photo_ids), batch):
        photos_process_task.delay(photo_ids[start : start + batch])


def photos_reconcile() -> dict[str, int]:
    """Re-queue photos pending or processing for longer than PHOTO_STUCK_SECONDS (lost messages, killed
    workers); those whose attempts are spent are failed instead, so nothing waits for ever."""
    cutoff = timezone.now() - timedelta(seconds=settings.PHOTO_STUCK_SECONDS)
    stuck = gallery_selectors.photos_stuck(changed_before=cutoff)
    spent = [photo.id for photo in stuck if photo.attempts >= settings.PHOTO_MAX_ATTEMPTS]
    for photo_id in spent:
        gallery_services.photo_fail(
            photo_id=photo_id,
            reason=f"Processing did not finish in {settings.PHOTO_MAX_ATTEMPTS} attempts; giving up.",
        )
    requeued = gallery_services.photos_requeue(photo_ids=[p.id for p in stuck if p.id not in set(spent)])
    photos_queue(photo_ids=requeued)
    if stuck:
        logger.warning("Reconciler: re-queued %s stuck photo(s), failed %s", len(requeued), len(spent))
    if resumed := gallery_services.photos_resume_after_no_space():  # the disk has room again
        photos_queue(photo_ids=resumed)
        logger.warning("Reconciler: re-queued %s photo(s) that had failed for lack of space", len(resumed))
    return {"requeued": len(requeued), "failed": len(spent)}


# Receivers of gallery's announcements (connected in SearchConfig.ready) ----------------------------------


def on_photos_stored(*, photo_ids: list[int], **kwargs) -> None:
    photos_queue(photo_ids=photo_ids)


def on_photo_deleted(*, photo: Photo, **kwargs) -> None:
    """A deleted photo leaves the indexes at the next rebuild; queries never return it meanwhile."""
    index_rebuild_schedule(owner_id=photo.owner_id)


def on_tags_changed(*, owner_id: int, **kwargs) -> None:
    """The owner's text projection learns from their tags."""
    projection_train_schedule(owner_id=owner_id)
