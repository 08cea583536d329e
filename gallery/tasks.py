"""Gallery upkeep tasks: ids in (or none), a service does the work; safe to run twice."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def trash_purge_task() -> int:
    """Run by `celery beat` every TRASH_PURGE_SECONDS: photos past TRASH_KEEP_DAYS in a trash go for good."""
    return services.trash_purge()
