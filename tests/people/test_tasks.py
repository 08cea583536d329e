"""Faces tasks go to their own queue ("faces"), which a low-priority worker of the run config serves."""

import pytest
from celery.app.routes import Router, prepare

from searchsite.celery import app
from searchsite.settings import base


@pytest.mark.parametrize(
    "task",
    [
        "people.tasks.faces_scan_task",
        "people.tasks.faces_backfill_task",
        "people.tasks.faces_backfill_all_task",
        "people.tasks.people_recluster_task",
    ],
)
def test_faces_tasks_go_to_the_faces_queue(task):
    router = Router(prepare(base.CELERY_TASK_ROUTES), app.amqp.queues, create_missing=True, app=app)
    assert router.route({}, task)["queue"].name == "faces"


def test_the_faces_worker_runs_niced():
    config = (base.BASE_DIR / "deploy" / "supervisord.conf").read_text()
    line = next(line for line in config.splitlines() if "-Q faces" in line)
    assert line.startswith("command=nice -n 15 celery")


def test_backfill_runs_periodically():
    assert base.CELERY_BEAT_SCHEDULE["faces-backfill"]["task"] == "people.tasks.faces_backfill_all_task"
