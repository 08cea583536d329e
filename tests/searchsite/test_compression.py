"""Pages and JSON are compressed; photos are sent as they are."""

import gzip

import pytest
from django.urls import reverse

from tests import images
from tests.factories import PhotoFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def test_pages_are_gzipped(signed_in, user):
    for n in range(3):
        PhotoFactory(owner=user, name=f"p{n}.jpg", content=images.jpeg(("chelsea", "coffee", "rocket")[n]))
    response = signed_in.get(reverse("gallery:home"), HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"
    html = gzip.decompress(response.content).decode()
    assert "p0.jpg" in html and len(response.content) < len(html.encode())


def test_api_json_is_gzipped(signed_in, user):
    PhotoFactory(owner=user)
    response = signed_in.get("/api/photos/", HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"


def test_photos_are_not_gzipped(signed_in, user):
    photo = PhotoFactory(owner=user)
    response = signed_in.get(reverse("gallery:original", args=[photo.id]), HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200 and not response.has_header("Content-Encoding")


def test_gallery_repeats_no_csrf_input_per_photo(signed_in, user):
    for name in ("chelsea", "coffee", "rocket"):
        PhotoFactory(owner=user, name=f"{name}.jpg", content=images.jpeg(name))
    html = signed_in.get(reverse("gallery:home")).content.decode()
    assert html.count('name="csrfmiddlewaretoken"') == 2  # the two log-out forms (header menu, phone tab bar)
