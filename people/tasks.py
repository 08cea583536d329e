"""Faces tasks (queue "faces", a low-priority worker): ids in, services do the work; all are safe to run twice.

The services import this module to queue tasks; each task imports its service when it runs (as search.tasks).
"""

from celery import shared_task
from django.contrib.auth import get_user_model
from django.db import OperationalError


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def faces_scan_task(photo_ids: list[int]) -> int:
    from . import services

    return services.photos_scan(photo_ids=photo_ids)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def faces_backfill_task(owner_id: int, step: int = 0) -> int:
    """One link of an owner's backfill chain; queues the next while photos remain."""
    from . import services

    remaining = services.faces_backfill_step(owner_id=owner_id, step=step)
    if remaining:
        faces_backfill_task.delay(owner_id, step + 1)
    return remaining


@shared_task
def faces_backfill_all_task() -> int:
    """Run by Celery beat: catch up on photos without faces from the current model."""
    from . import services

    return services.faces_backfill_all()


@shared_task(acks_late=True)
def people_recluster_task(owner_id: int) -> None:
    from . import services

    owner = get_user_model().objects.filter(id=owner_id).first()
    if owner is not None:
        services.people_recluster(owner=owner)
