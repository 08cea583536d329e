"""Queues: embedding apart from index work and query embedding, so a big import never delays a rebuild or a query.
(The test settings turn routing off, so that each test worker serves one private queue; this checks the routes
that `make run` and production use.)"""

import pytest
from celery.app.routes import Router, prepare

from searchsite.celery import app
from searchsite.settings import base


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("search.tasks.photos_process_task", "photos"),
        ("search.tasks.reembed_task", "photos"),
        ("search.tasks.rebuild_index_task", "index"),
        ("search.tasks.train_projection_task", "index"),
        ("search.tasks.projection_export_task", "index"),
        ("search.tasks.reembed_missing_task", "index"),
        ("search.tasks.photos_reconcile_task", "index"),
        ("search.tasks.photos_describe_missing_task", "index"),
        ("search.tasks.query_embed_task", "query"),
    ],
)
def test_task_goes_to_its_queue(task, queue):
    router = Router(prepare(base.CELERY_TASK_ROUTES), app.amqp.queues, create_missing=True, app=app)
    assert router.route({}, task)["queue"].name == queue


def test_every_queue_routed_to_has_a_worker_in_the_run_config():
    config = (base.BASE_DIR / "deploy" / "supervisord.conf").read_text()
    for queue in {route["queue"] for route in base.CELERY_TASK_ROUTES.values()}:
        assert f"-Q {queue}" in config or f",{queue}" in config, queue
