"""Search tasks: ids in, services do the work; all are safe to run twice.

The one place Celery scheduling meets the services: the services import this module at the top to queue tasks,
and each task imports its service when it runs (HackSoft's rule), so the import graph has no cycle.
"""

from celery import shared_task
from django.conf import settings
from django.db import OperationalError


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(OperationalError,),  # e.g. a busy SQLite; anything else is recorded on the photo
    retry_backoff=True,
    max_retries=5,
)
def photos_process_task(self, photo_ids: list[int]) -> None:
    from . import pipeline

    # Redis redelivers a message its consumer never acknowledged (the worker died, or hung past the visibility timeout).
    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    pipeline.photos_process(photo_ids=photo_ids, redelivered=redelivered)


@shared_task
def photos_reconcile_task() -> dict[str, int]:
    """Run by Celery beat (CELERY_BEAT_SCHEDULE): re-queue stuck photos, fail those out of attempts."""
    from . import pipeline

    return pipeline.photos_reconcile()


@shared_task(bind=True, acks_late=True, max_retries=20)
def rebuild_index_task(self, owner_id: int) -> None:
    from . import indexes

    if not indexes.index_rebuild_try(owner_id=owner_id):
        # Another rebuild for this user is running; come back after it rather than build twice at once.
        raise self.retry(countdown=settings.SEARCH_INDEX_DEBOUNCE_SECONDS)


@shared_task
def indexes_verify_task() -> int:
    """Run by Celery beat every SEARCH_INDEX_VERIFY_SECONDS: rebuild any current index whose files rotted."""
    from . import index_versions

    return index_versions.indexes_verify()


@shared_task(acks_late=True)
def train_projection_task(owner_id: int) -> None:
    from . import training

    training.projection_train(owner_id=owner_id)


@shared_task(acks_late=True)
def projection_export_task(projection_id: int) -> None:
    from . import training

    training.projection_export(projection_id=projection_id)


@shared_task(acks_late=True)
def reembed_task(photo_ids: list[int]) -> None:
    from . import ingest

    ingest.photos_reembed(photo_ids=photo_ids)


@shared_task
def reembed_missing_task() -> int:
    """Queue every ready photo that lacks a vector from the configured model, in model-sized batches."""
    from . import ingest

    missing = ingest.photos_missing_vectors()
    batch = settings.SEARCH_EMBED_BATCH
    for start in range(0, len(missing), batch):
        reembed_task.delay(missing[start : start + batch])
    return len(missing)


@shared_task
def photos_describe_missing_task() -> int:
    """Run by Celery beat: describe (place, colours) a batch of photos stored before descriptions existed or
    described by an older version; queues itself again while a full batch was found."""
    from . import describe

    done = describe.photos_describe_missing(limit=describe.BACKFILL_BATCH)
    if done >= describe.BACKFILL_BATCH:
        photos_describe_missing_task.delay()
    return done


@shared_task(ignore_result=False, acks_late=False)
def query_embed_task(payload: str, model_key: str) -> str:
    """A query image's vector for a web process that waits for it (not redelivered: the client has moved on)."""
    from . import query_embedding

    return query_embedding.query_image_embed(payload=payload, model_key=model_key)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def duplicates_check_task(photo_ids: list[int]) -> int:
    """After indexing: pair the new photos with their near-duplicates already in the gallery."""
    from . import duplicates

    return duplicates.duplicates_check(photo_ids=photo_ids)


@shared_task(acks_late=True)
def duplicates_check_all_task(owner_id: int) -> int:
    from . import duplicates

    return duplicates.duplicates_check_all(owner_id=owner_id)
