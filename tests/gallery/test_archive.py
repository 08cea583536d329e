"""Archive: out of the timeline, still in albums and search filters, back with unarchive; owner-only."""

import pytest
from django.urls import reverse

from gallery import selectors, services
from gallery.models import Photo
from tests import images
from tests.factories import PhotoFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def photos(user):
    return [PhotoFactory(owner=user, name=f"{n}.jpg", content=images.jpeg(n)) for n in ("chelsea", "coffee")]


def test_archived_photo_leaves_the_timeline_but_not_albums_or_search(user, photos):
    cat, cup = photos
    album = services.album_create(owner=user, name="Both", photo_ids=[cat.id, cup.id])
    assert services.photos_archive(owner=user, photo_ids=[cat.id], archived=True) == 1
    assert list(selectors.photo_list(owner=user)) == [cup]
    assert list(selectors.photo_list(owner=user, filters={"archived": True})) == [cat]
    assert set(selectors.photo_list(owner=user, filters={"album": album.id})) == {cat, cup}
    assert set(selectors.photos_filtered(owner=user, filters={})) == {cat, cup}  # what every search starts from
    assert list(selectors.photo_list(owner=user, filters={"ids": [cat.id]})) == [cat]  # status polling by id


def test_api_archives_and_unarchives_and_lists_archived(api, user, photos):
    cat, _cup = photos
    assert api.post("/api/photos/bulk/archive/", {"ids": [cat.id]}, format="json").json() == {"changed": 1}
    assert [p["id"] for p in api.get("/api/photos/?archived=true").json()["results"]] == [cat.id]
    assert cat.id not in [p["id"] for p in api.get("/api/photos/").json()["results"]]
    api.post("/api/photos/bulk/archive/", {"ids": [cat.id], "archived": False}, format="json")
    assert not Photo.objects.get(id=cat.id).archived


def test_api_archive_of_another_users_photo_is_404_and_changes_nothing(other_api, photos):
    response = other_api.post("/api/photos/bulk/archive/", {"ids": [photos[0].id]}, format="json")
    assert response.status_code == 404
    assert not Photo.objects.filter(archived=True).exists()


def test_gallery_page_has_an_archived_view(client, user, photos):
    services.photos_archive(owner=user, photo_ids=[photos[0].id], archived=True)
    client.force_login(user)
    timeline = client.get(reverse("gallery:home")).content.decode()
    archived = client.get(reverse("gallery:home") + "?archived=1").content.decode()
    assert 'data-name="chelsea.jpg"' not in timeline and 'data-name="coffee.jpg"' in timeline
    assert 'data-name="chelsea.jpg"' in archived and "Unarchive" in archived
