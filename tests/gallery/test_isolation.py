"""IDOR sweep: user B gets 404 on every one of user A's photo endpoints and sees none of A's photos."""

import pytest

from gallery.models import Photo
from tests.factories import PhotoFactory

PHOTO_ENDPOINTS = [
    ("get", "/api/photos/{id}/"),
    ("delete", "/api/photos/{id}/"),
    ("post", "/api/photos/{id}/retry/"),
    ("post", "/api/photos/{id}/tags/"),
    ("patch", "/api/photos/{id}/tags/"),
    ("delete", "/api/photos/{id}/tags/?name=x"),
    ("get", "/api/photos/{id}/original"),
    ("get", "/api/photos/{id}/thumbnail"),
    ("get", "/photos/{id}/"),
    ("get", "/photos/{id}/original"),
    ("get", "/photos/{id}/thumbnail"),
]


@pytest.fixture
def their_photo(user):
    return PhotoFactory(owner=user)


@pytest.mark.parametrize(("method", "url"), PHOTO_ENDPOINTS)
def test_other_users_photo_is_404(other_api, other_user, client, their_photo, method, url):
    url = url.format(id=their_photo.id)
    if url.startswith("/api/"):
        response = getattr(other_api, method)(url, {"name": "x", "accept": True}, format="json")
    else:
        client.force_login(other_user)
        response = getattr(client, method)(url)
    assert response.status_code == 404
    assert Photo.objects.filter(id=their_photo.id).exists()


def test_other_users_list_shows_none_of_their_photos(other_api, their_photo):
    body = other_api.get("/api/photos/").json()
    assert body["count"] == 0 and body["results"] == []


def test_other_users_tag_filter_shows_none_of_their_photos(other_api, their_photo):
    from gallery import services

    services.tag_add(photo=their_photo, name="secret")
    assert other_api.get("/api/photos/?tag=secret").json()["count"] == 0
