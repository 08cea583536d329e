"""While Redis is down, requests that need it answer 503 with Retry-After (JSON on the API, a plain page for the
site), never a 500; what was stored before the failure stays stored. Real gunicorn, a real redis-server we stop."""

import re
import socket
import subprocess
import sys

import pytest
import requests
from django.conf import settings

from accounts.services import token_rotate
from bench._django import start_redis
from gallery.models import Photo, PhotoTag
from tests import images
from tests.conftest import ROOT, wait_for, worker_env
from tests.factories import PhotoFactory, PhotoTagFactory, TagFactory, UserFactory

PASSWORD = "a long pass phrase"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def site(transactional_db, tmp_path):
    """gunicorn on the test database, with its own redis-server; yields (url, redis process)."""
    redis_port, web_port = free_port(), free_port()
    redis = start_redis(redis_port, tmp_path)
    env = worker_env(settings, TEST_REDIS_URL=f"redis://127.0.0.1:{redis_port}/0")
    web = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "searchsite.wsgi:application",
            "--bind",
            f"127.0.0.1:{web_port}",
            "--workers",
            "1",
            "--no-control-socket",
        ],
        cwd=ROOT,
        env=env,
    )
    url = f"http://127.0.0.1:{web_port}"

    def answering():
        try:
            return requests.get(f"{url}/accounts/login/", timeout=30).status_code == 200
        except (requests.ConnectionError, requests.Timeout):
            assert web.poll() is None, "gunicorn exited"
            return False

    wait_for(answering, timeout=120)
    yield url, redis
    for proc in (web, redis):
        proc.terminate()
        proc.wait(timeout=30)


def stop(redis: subprocess.Popen) -> None:
    redis.terminate()
    redis.wait(timeout=30)


def test_api_upload_while_redis_is_down_answers_its_ids_and_the_photo_waits_pending(site):
    """Ensure an upload stored while the broker is down answers 201 with its ids (docs/faults.md): the reconciler
    sends the photo once Redis is back, so a client never holds photos it has no ids for."""
    url, redis = site
    user = UserFactory()
    token = token_rotate(user=user)
    stop(redis)
    response = requests.post(
        f"{url}/api/photos/",
        headers={"Authorization": f"Token {token}"},
        files={"files": ("cat.jpg", images.jpeg("chelsea"), "image/jpeg")},
        timeout=60,
    )
    assert response.status_code == 201, response.text
    stored = list(Photo.objects.filter(owner=user).values_list("id", "original_name", "status"))
    assert [photo["id"] for photo in response.json()["created"]] == [stored[0][0]]
    assert [row[1:] for row in stored] == [("cat.jpg", "pending")]


def test_api_tag_add_and_delete_while_redis_is_down_are_json_503s(site):
    url, redis = site
    photo = PhotoFactory()
    Photo.objects.filter(id=photo.id).update(status=Photo.Status.READY)
    PhotoTagFactory(photo=photo, tag=TagFactory(name="sunset"), state=PhotoTag.State.ACCEPTED)
    headers = {"Authorization": f"Token {token_rotate(user=photo.owner)}"}
    stop(redis)
    added = requests.post(f"{url}/api/photos/{photo.id}/tags/", json={"name": "beach"}, headers=headers, timeout=60)
    deleted = requests.delete(f"{url}/api/photos/{photo.id}/tags/?name=sunset", headers=headers, timeout=60)
    for response in (added, deleted):
        assert response.status_code == 503
        assert response.headers["Content-Type"] == "application/json"
        assert int(response.headers["Retry-After"]) > 0
    # The edits were committed before the follow-up work (index, projection) could not be queued: kept, as the
    # 503 says; repeating them is harmless.
    assert list(photo.photo_tags.values_list("tag__name", flat=True)) == ["beach"]


def test_upload_page_while_redis_is_down_stores_the_photo_pending(site):
    """Ensure the upload page, like the API, keeps a photo stored while the broker is down, pending for the
    reconciler, and shows no error page."""
    url, redis = site
    user = UserFactory(password=PASSWORD)
    browser = requests.Session()

    def csrf(path: str) -> str:
        page = browser.get(url + path, timeout=30)
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)

    login = browser.post(
        f"{url}/accounts/login/",
        timeout=30,
        data={"username": user.username, "password": PASSWORD, "csrfmiddlewaretoken": csrf("/accounts/login/")},
    )
    assert login.status_code == 200 and "sessionid" in browser.cookies
    token = csrf("/upload/")
    stop(redis)
    response = browser.post(
        f"{url}/upload/",
        data={"csrfmiddlewaretoken": token},
        timeout=60,
        files={"files": ("cat.jpg", images.jpeg("chelsea"), "image/jpeg")},
    )
    assert response.status_code == 200 and "Traceback" not in response.text
    assert Photo.objects.filter(owner=user, status=Photo.Status.PENDING).count() == 1
