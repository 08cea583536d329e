"""Query images go to a query worker; web processes answer class and text queries without TensorFlow."""

import subprocess
import sys

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from search import components, query_embedding
from tests import images
from tests.conftest import ROOT, worker_env
from tests.search.conftest import trained_projection

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


def run_as_web_process(settings, code: str) -> list[str]:
    """Run ``code`` in a fresh process set up as a web process is (Django, no model, no worker) on this test's
    database and folders; returns the words it printed."""
    setup = "import sys, django; django.setup()\nfrom search import components; components.warm_up_web()\n"
    out = subprocess.run(
        [sys.executable, "-c", setup + code], cwd=ROOT, env=worker_env(settings), capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.split()


@pytest.mark.django_db(transaction=True)
def test_class_and_text_queries_do_not_load_tensorflow_in_a_web_process(gallery, settings, user):
    """Ensure a fresh process answers class and text queries from the classifier cache, without TensorFlow."""
    components.classifier(components.configured_model_key())  # the cache a worker writes when it warms up
    code = (
        "from django.contrib.auth import get_user_model\n"
        "from search import query\n"
        f"owner = get_user_model().objects.get(id={user.id})\n"
        "assert query.by_class(owner=owner, class_value='espresso', k=2)\n"
        "assert query.by_text(owner=owner, q='cat', k=2)\n"
        "assert components.input_size() > 0\n"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)\n"
    )
    assert run_as_web_process(settings, code)[-2:] == ["False", "False"]


@pytest.mark.django_db(transaction=True)
def test_trained_mapping_text_query_loads_neither_tensorflow_nor_much_memory_in_a_web_process(gallery, settings, user):
    """Ensure a text query of a user whose trained projection is active is answered through that projection with
    numpy alone: no TensorFlow or Keras module in the process, and its memory grows by little (TensorFlow alone
    would add about a gigabyte)."""
    components.classifier(components.configured_model_key())
    record = trained_projection(user)
    code = (
        "from django.contrib.auth import get_user_model\n"
        "from search import query, spaces\n"
        "def rss(): return next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmRSS'))\n"
        f"owner = get_user_model().objects.get(id={user.id})\n"
        "before = rss()\n"
        "hits = query.by_text(owner=owner, q='coffee', k=4)\n"
        "after = rss()\n"
        "key = spaces.text_space(owner_id=owner.id, model_key=components.configured_model_key()).key\n"
        "print(key, hits[0].photo.original_name, before, after)\n"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)\n"
    )
    key, top, before_kb, after_kb, tensorflow, keras = run_as_web_process(settings, code)[-6:]
    assert key.endswith(f"-proj{record.id}")
    assert top == "coffee.jpg"
    assert (tensorflow, keras) == ("False", "False")
    assert int(after_kb) - int(before_kb) < 100_000
