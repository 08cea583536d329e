"""Celery tasks: ids in, re-fetch, call a service. Safe to run twice."""
from celery import shared_task
from django.db import OperationalError

from . import services


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError,),  # e.g. a busy SQLite; anything else is recorded on the photo
    retry_backoff=True,
    max_retries=5,
)
def process_photos_task(photo_ids: list[int]) -> None:
    services.photos_process(photo_ids=photo_ids)
