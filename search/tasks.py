"""Search tasks: ids in, services do the work; both are safe to run twice."""
from celery import shared_task
from django.conf import settings

from . import indexing, training


@shared_task(bind=True, acks_late=True, max_retries=20)
def rebuild_index_task(self, owner_id: int) -> None:
    if not indexing.index_rebuild_locked(owner_id=owner_id):
        # Another rebuild for this user is running; come back after it rather than build twice at once.
        raise self.retry(countdown=settings.SEARCH_INDEX_DEBOUNCE_SECONDS)


@shared_task(acks_late=True)
def train_projection_task(owner_id: int) -> None:
    training.projection_train(owner_id=owner_id)
