"""Query images go to a query worker; web processes answer class and text queries without TensorFlow."""

import subprocess
import sys

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from search import components, query_embedding
from tests import images
from tests.conftest import ROOT

pytestmark = pytest.mark.django_db


def test_payload_keeps_the_shorter_side_above_the_model_input():
    big = images.sample("astronaut").resize((2400, 1600))
    payload_image = query_embedding.Image.open(
        query_embedding.io.BytesIO(query_embedding.base64.b64decode(query_embedding.image_payload(big)))
    )
    assert min(payload_image.size) == query_embedding.QUERY_IMAGE_SIDE
    assert payload_image.size == (480, 320)


def test_worker_vector_matches_the_full_image_vector():
    image = images.sample("coffee").resize((1200, 900))
    payload = query_embedding.image_payload(image)
    from_payload = np.frombuffer(
        query_embedding.base64.b64decode(
            query_embedding.query_image_embed(payload=payload, model_key=components.configured_model_key())
        ),
        dtype=np.float32,
    )
    direct, _ = components.encoder().encode([image])
    cosine = from_payload @ direct[0] / (np.linalg.norm(from_payload) * np.linalg.norm(direct[0]))
    assert cosine > 0.99


def test_query_upload_answers_503_with_retry_after_when_no_query_worker_answers(api, gallery, settings):
    from searchsite.celery import app

    settings.SEARCH_QUERY_TIMEOUT_SECONDS = 0.5
    app.conf.task_always_eager = False  # nothing consumes the query queue in this test
    try:
        response = api.post("/api/search/similar/", {"image": SimpleUploadedFile("q.jpg", images.jpeg("coffee"))})
    finally:
        app.conf.task_always_eager = True
    assert response.status_code == 503
    assert response["Retry-After"]
    assert "worker" in response.json()["detail"]


@pytest.mark.django_db(transaction=True)
def test_class_and_text_queries_do_not_load_tensorflow_in_a_web_process(gallery, settings, user):
    """Ensure a fresh process answers class and text queries from the classifier cache, without TensorFlow."""
    components.classifier(components.configured_model_key())  # the cache a worker writes when it warms up
    code = (
        "import sys, django; django.setup()\n"
        "from django.contrib.auth import get_user_model\n"
        "from search import query\n"
        f"owner = get_user_model().objects.get(id={user.id})\n"
        "assert query.by_class(owner=owner, class_value='espresso', k=2)\n"
        "assert query.by_text(owner=owner, q='cat', k=2)\n"
        "from search import components; assert components.input_size() > 0\n"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)\n"
    )
    env = {
        **__import__("os").environ,
        "DJANGO_SETTINGS_MODULE": "searchsite.settings.worker_test",
        "TEST_DB_NAME": str(settings.DATABASES["default"]["NAME"]),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "SEARCH_INDEX_DIR": str(settings.SEARCH_INDEX_DIR),
        "DATA_DIR": str(settings.DATA_DIR),
        "CELERY_TASK_DEFAULT_QUEUE": "unused",
    }
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-2:] == ["False", "False"]
