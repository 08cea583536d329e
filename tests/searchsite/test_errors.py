"""The API answers JSON whatever goes wrong; pages never show a debug page."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from gallery import selectors
from gallery.models import Album, Photo
from tests import images
from tests.factories import PhotoFactory


def test_service_validation_error_is_a_json_400(api, user):
    photo = PhotoFactory(owner=user)
    Photo.objects.filter(id=photo.id).update(status=Photo.Status.READY)
    response = api.post(f"/api/photos/{photo.id}/retry/")
    assert response.status_code == 400
    assert response.json() == {"detail": "Only photos that are not ready can be retried."}


def test_too_many_fields_is_a_json_400(api, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    response = api.post("/api/photos/", {f"field{i}": "x" for i in range(10)}, format="multipart")
    assert response.status_code == 400
    assert response.json() == {"detail": "Too many form fields in one request: the limit is 5."}


def test_too_many_files_is_a_json_400(api, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    files = [SimpleUploadedFile(f"{i}.jpg", images.jpeg("chelsea")) for i in range(3)]
    response = api.post("/api/photos/", {"files": files}, format="multipart")
    assert response.status_code == 400
    assert response.json() == {"detail": "Too many files in one request: the limit is 2."}
    assert not Photo.objects.exists()


def test_body_too_large_is_a_json_400(user, settings):
    """Form fields over Django's limit in a body the size check lets through (a signed-in caller may send files)."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    api = APIClient()
    api.force_login(user)  # a session the middleware sees (force_authenticate acts inside DRF only)
    response = api.post("/api/photos/", {"note": "x" * 5000}, format="multipart")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("The request's form fields are too large: the limit is 1000 bytes")


def test_unexpected_error_is_a_json_500_without_traceback(api, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(selectors, "photo_list", broken)
    response = api.get("/api/photos/")
    assert response.status_code == 500
    assert response.json() == {"detail": "Server error."}


def test_out_of_range_ids_filter_is_a_400(api):
    response = api.get(f"/api/photos/?ids=1,{2**63}")
    assert response.status_code == 400
    assert "at most" in response.json()["ids"][0]


def test_unknown_api_url_is_a_json_404(api):
    response = api.get("/api/no-such-endpoint/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.django_db
def test_unknown_page_lists_no_url_patterns(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"api/" not in response.content and b"URLconf" not in response.content


def test_page_error_is_a_plain_500_without_traceback(user, monkeypatch):
    from django.test import Client

    def broken(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(selectors, "photo_list", broken)
    browser = Client(raise_request_exception=False)
    browser.force_login(user)
    response = browser.get("/")
    assert response.status_code == 500
    assert b"secret internals" not in response.content and b"Traceback" not in response.content
    assert b"SECRET_KEY" not in response.content


NESTED_JSON = "[" * 1000 + "]" * 1000  # 2 KB; json's C scanner raises RecursionError, which DRF doesn't catch


@pytest.mark.parametrize(
    "url",
    ["/api/auth/register/", "/api/auth/token/", "/api/photos/bulk/tags/", "/api/albums/", "/api/duplicates/keep-best/"],
)
def test_deeply_nested_json_is_a_json_400(url, user):
    """Ensure 1,000 nested brackets answer 400 on anonymous and signed-in endpoints alike, and store nothing."""
    client = APIClient()
    if not url.startswith("/api/auth/"):
        client.force_authenticate(user)
    users_before = type(user).objects.count()
    response = client.post(url, NESTED_JSON, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": "The JSON is nested too deeply."}
    assert type(user).objects.count() == users_before
    assert not Album.objects.exists()
