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

import kombu.exceptions
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone
from PIL import Image
from redis.exceptions import RedisError

from gallery import selectors as gallery_selectors
from gallery import services as gallery_services
from gallery.models import Photo
from ocr.services import text_read_schedule
from people.services import photos_faces_queue

from . import components, describe, ingest, workers
from .debounce import redis_client
from .duplicates import duplicates_check_schedule
from .index_versions import index_rebuild_schedule
from .tasks import photos_process_task
from .training import projection_train_schedule

logger = logging.getLogger(__name__)

FIRST_CHUNK = 4  # photos in a task's first chunk; later chunks double, up to SEARCH_EMBED_BATCH


def photos_process(*, photo_ids: list[int], redelivered: bool = False) -> None:
    """Take stored photos to `ready` (or `failed` with a reason). Safe to run twice: finished photos are skipped.

    ``redelivered``: the message came back from a consumer that never acknowledged it (see the task).

    Pipelined: while one chunk runs through the model, the next is decoded and thumbnailed on other threads
    (Pillow and the LiteRT/TensorFlow kernels release the GIL), so neither waits for the other. Chunks grow
    (4, 8, 16…): the first photos of an upload become searchable after a small chunk, not after the whole batch,
    and a photo uploaded alone goes straight through.
    """
    # upload: stored rows, claimed by this process (while it beats, no one else takes them), one more attempt each
    worker = workers.worker_id()
    released = set()
    if redelivered:  # its first consumer never acknowledged it: if that worker is silent too, it is gone
        holders = Photo.objects.filter(id__in=photo_ids, status=Photo.Status.PROCESSING).exclude(claimed_by=worker)
        released = workers.workers_silent(set(holders.values_list("claimed_by", flat=True)) - {""})
    photos = gallery_services.photos_claim(photo_ids=photo_ids, worker=worker, released=released)
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
    """Send processing tasks now, in batches so the model sees full batches.

    A batch the broker refuses (Redis down) is logged, not raised: its photos are committed and the client has their
    ids, so they stay pending and the reconciler sends them again once PHOTO_RESEND_SECONDS have passed unsent.
    """
    batch = settings.SEARCH_EMBED_BATCH
    for start in range(0, len(photo_ids), batch):
        ids = photo_ids[start : start + batch]
        try:
            photos_process_task.delay(ids)
        except (kombu.exceptions.OperationalError, RedisError) as error:
            logger.warning(
                "%s photo(s) not queued, the broker is unavailable (%s): the reconciler resends them", len(ids), error
            )
            continue
        _sent_mark(ids)


def _sent_key(photo_id: int) -> str:
    return f"searchsite:photo-sent:{photo_id}"


def _sent_mark(photo_ids: list[int]) -> None:
    """Remember that these photos' message reached the broker; it is lost with the broker's data, as the mark is."""
    try:
        with redis_client().pipeline(transaction=False) as marks:
            for photo_id in photo_ids:
                marks.set(_sent_key(photo_id), 1, ex=settings.PHOTO_STUCK_SECONDS)
            marks.execute()
    except RedisError:  # sent, then Redis went away: at worst the reconciler sends them twice, and one run skips them
        pass


def _sent(photo_ids: list[int]) -> set[int]:
    if not photo_ids:
        return set()
    marks = redis_client().mget([_sent_key(photo_id) for photo_id in photo_ids])
    return {photo_id for photo_id, mark in zip(photo_ids, marks) if mark is not None}


def photos_reconcile() -> dict[str, int]:
    """Re-queue what no one is working on, and fail what has spent its attempts, so nothing waits for ever:

    - photos processing whose worker stopped beating (killed): within HEARTBEAT_TTL and two reconciler ticks;
    - photos pending whose message never reached the broker (Redis was down) for PHOTO_RESEND_SECONDS;
    - photos pending or processing (by a worker that named none) for longer than PHOTO_STUCK_SECONDS.

    A photo whose worker still beats is left to it, however long its batch takes.
    """
    now = timezone.now()
    stale = now - timedelta(seconds=settings.PHOTO_STUCK_SECONDS)
    unsent_for = timedelta(seconds=min(settings.PHOTO_RESEND_SECONDS, settings.PHOTO_STUCK_SECONDS))
    candidates = [  # a dead worker's claim counts however recent; a pending photo once it could have been sent
        photo
        for photo in gallery_selectors.photos_stuck(changed_before=now)
        if photo.status == Photo.Status.PROCESSING or photo.status_changed_at < now - unsent_for
    ]
    pending = [photo for photo in candidates if photo.status == Photo.Status.PENDING]
    sent = _sent([photo.id for photo in pending])
    holders = {photo.claimed_by for photo in candidates if photo.status == Photo.Status.PROCESSING}
    dead = workers.workers_dead(holders - {""})
    stuck = [
        photo
        for photo in candidates
        if (photo.status == Photo.Status.PENDING and (photo.id not in sent or photo.status_changed_at < stale))
        or (photo.status == Photo.Status.PROCESSING and photo.claimed_by in dead)
        or (photo.status == Photo.Status.PROCESSING and not photo.claimed_by and photo.status_changed_at < stale)
    ]
    spent = [photo.id for photo in stuck if photo.attempts >= settings.PHOTO_MAX_ATTEMPTS]
    for photo_id in spent:
        gallery_services.photo_fail(
            photo_id=photo_id,
            reason=f"Processing did not finish in {settings.PHOTO_MAX_ATTEMPTS} attempts; giving up.",
        )
    requeued = gallery_services.photos_requeue(
        photo_ids=[p.id for p in stuck if p.id not in set(spent)], released=dead | {""}
    )
    photos_queue(photo_ids=requeued)
    if stuck:
        logger.warning(
            "Reconciler: re-queued %s photo(s) (%s of dead workers), failed %s",
            len(requeued),
            sum(photo.claimed_by in dead for photo in stuck),
            len(spent),
        )
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
