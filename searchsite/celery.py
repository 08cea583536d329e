"""The Celery app: Redis broker, configured from Django settings (CELERY_* names)."""

import os

from celery import Celery
from celery.signals import worker_ready

from . import broker_patch

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "searchsite.settings.dev")

broker_patch.apply()  # workers survive a Redis restart (see the module)

app = Celery("searchsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def prepare_worker(**kwargs):
    """Warm the model up before the first upload arrives, then catch up on photos the configured model
    has not embedded yet (after SEARCH_MODEL changed; old vectors serve meanwhile)."""
    from search.components import warm_up

    warm_up()
    app.send_task("search.tasks.reembed_missing_task")
