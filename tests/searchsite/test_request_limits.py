"""Bodies refused by their Content-Length before a byte is read: the per-request limit and the caller's rate."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts import services as account_services
from gallery import quotas
from gallery.models import Photo
from tests import images

pytestmark = pytest.mark.django_db
MULTIPART = "multipart/form-data; boundary=xyz"


class UnreadableBody:
    """wsgi.input that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def post_declared(client, path: str, length: int, **headers):
    """A POST that declares ``length`` bytes of body and would fail the test if any were read."""
    return client.generic(
        "POST",
        path,
        content_type=MULTIPART,
        **{"CONTENT_LENGTH": str(length), "wsgi.input": UnreadableBody(), **headers},
    )


@pytest.fixture
def token(user):
    return account_services.token_rotate(user=user)


def test_request_over_the_per_request_limit_is_413_before_reading(token, settings):
    settings.UPLOAD_MAX_BYTES = 1000
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    response = post_declared(Client(), "/api/photos/", 960 * 1024**2, HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 413
    assert response.json()["detail"].startswith(f"The request is {960 * 1024**2} bytes; the limit is")
    assert "3 file(s) of at most 1000 bytes" in response.json()["detail"]


def test_request_over_the_callers_remaining_rate_is_429_before_reading(user, token, settings):
    settings.UPLOAD_RATE_BYTES_PER_HOUR = 50 * 1024**2
    quotas.upload_rate_consume(owner=user, size=45 * 1024**2)
    response = post_declared(Client(), "/api/photos/", 20 * 1024**2, HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 3600
    assert f"you may upload {5 * 1024**2} more bytes this hour" in response.json()["detail"]
    assert quotas.upload_rate_remaining(owner=user)[0] == 5 * 1024**2  # refusing counted nothing


def test_session_upload_over_the_rate_is_refused_before_the_csrf_check_reads_it(user, settings):
    """Ensure the session caller (the pages' JavaScript) is refused too, although Django's CSRF check would read
    the whole multipart body looking for a token field."""
    settings.UPLOAD_RATE_BYTES_PER_HOUR = 20 * 1024**2
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = post_declared(client, "/api/photos/", 30 * 1024**2)
    assert response.status_code == 429
    response = post_declared(client, "/upload/", 30 * 1024**2)
    assert response.status_code == 429
    assert response["Content-Type"].startswith("text/plain")


def test_anonymous_caller_may_send_form_fields_only(settings):
    response = post_declared(Client(), "/api/photos/", settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    assert response.status_code == 413
    response = post_declared(Client(), "/api/auth/token/", 10 * 1024**2 + 1)
    assert response.status_code == 413


def test_other_endpoints_take_at_most_one_file(token, settings):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + settings.UPLOAD_MAX_BYTES + 2048
    response = post_declared(Client(), "/api/search/similar/", limit + 1, HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 413


def test_chunked_upload_is_411(token):
    response = Client().generic(
        "POST",
        "/api/photos/",
        content_type=MULTIPART,
        HTTP_TRANSFER_ENCODING="chunked",
        HTTP_AUTHORIZATION=f"Token {token}",
        **{"wsgi.input": UnreadableBody()},
    )
    assert response.status_code == 411
    assert "Content-Length" in response.json()["detail"]


def test_upload_within_the_limits_is_stored(user, token, settings):
    """Ensure the slack for multipart headers lets a file of exactly the remaining rate through."""
    jpeg = images.jpeg("chelsea")
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000  # so that the rate check applies to this small upload
    settings.UPLOAD_RATE_BYTES_PER_HOUR = len(jpeg)
    response = Client().post(
        "/api/photos/", {"files": [SimpleUploadedFile("cat.jpg", jpeg)]}, HTTP_AUTHORIZATION=f"Token {token}"
    )
    assert response.status_code == 201, response.content
    assert Photo.objects.filter(owner=user).count() == 1
