"""Text pass tasks (queue "text", a low-priority worker): ids in, services do the work; safe to run twice.

The services import this module to queue tasks; each task imports its service when it runs (as search.tasks).
"""

from celery import shared_task
from django.conf import settings
from django.db import OperationalError


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def text_read_task(photo_ids: list[int]) -> int:
    from . import services

    return services.photos_text_read(photo_ids=photo_ids)


@shared_task(acks_late=True)
def text_backfill_task(owner_id: int | None = None) -> int:
    """Run by Celery beat (CELERY_BEAT_SCHEDULE) and after a settings change: photos without a current text pass."""
    from . import services

    return services.text_backfill(budget_seconds=settings.TEXT_BACKFILL_SECONDS, owner_id=owner_id)
