"""The Celery app: Redis broker, configured from Django settings (CELERY_* names)."""
import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "searchsite.settings.dev")

app = Celery("searchsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def catch_up_on_model_change(**kwargs):
    """After SEARCH_MODEL changes, a restarted worker re-embeds in the background; old vectors serve meanwhile."""
    app.send_task("search.tasks.reembed_missing_task")
