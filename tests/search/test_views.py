"""The duplicates page: groups side by side, keep-best asked once, owner-only."""

import pytest
from django.urls import reverse

from gallery.models import Photo
from search.models import NearDuplicate
from tests import images
from tests.factories import PhotoFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def pair(user):
    """Two stored photos recorded as near-duplicates (the detection itself is tested in test_duplicates)."""
    big = PhotoFactory(owner=user, name="big.jpg", content=images.jpeg("chelsea"))
    small = PhotoFactory(
        owner=user, name="small.jpg", content=images.encode(images.sample("chelsea").resize((200, 133)), "JPEG")
    )
    NearDuplicate.objects.create(owner=user, photo=big, other=small, similarity=0.9)
    return big, small


def test_duplicates_page_shows_groups_best_first(signed_in, pair):
    page = signed_in.get(reverse("search:duplicates")).content.decode()
    assert page.index("big.jpg") < page.index("small.jpg")
    assert "largest: 451×300 pixels" in page
    assert "Keep best of all, delete 1" in page


def test_keep_best_asks_first_and_deletes_nothing_until_confirmed(signed_in, pair):
    _big, small = pair
    response = signed_in.post(reverse("search:duplicates-keep-best"), {"photo": small.id})
    assert response.status_code == 200
    assert "Delete 1 photo?" in response.content.decode()
    assert Photo.objects.filter(id=small.id).exists()


def test_keep_best_confirmed_deletes_the_rest(signed_in, pair):
    big, _small = pair
    response = signed_in.post(reverse("search:duplicates-keep-best"), {"all": "1", "confirm": "1"})
    assert response.status_code == 302
    assert list(Photo.objects.values_list("id", flat=True)) == [big.id]


def test_other_users_see_no_groups_and_cannot_resolve_mine(client, other_user, pair):
    client.force_login(other_user)
    assert "No near-duplicates" in client.get(reverse("search:duplicates")).content.decode()
    response = client.post(reverse("search:duplicates-keep-best"), {"photo": pair[0].id, "confirm": "1"})
    assert response.status_code == 404
    assert Photo.objects.count() == 2


def test_duplicates_page_needs_login(client, db):
    assert client.get(reverse("search:duplicates")).status_code == 302
