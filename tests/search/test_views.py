"""The duplicates page: groups side by side, keep-best to the trash with Undo, the copy chosen, owner-only."""

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
    assert "Keep the best of each, trash 1" in page


def test_keep_best_moves_the_other_copy_to_the_trash_and_offers_undo(signed_in, pair):
    big, small = pair
    response = signed_in.post(reverse("search:duplicates-keep-best"), {"photo": small.id}, follow=True)
    small.refresh_from_db()
    assert small.trashed_at is not None and Photo.objects.filter(id=big.id, trashed_at=None).exists()
    page = response.content.decode()
    assert "Moved 1 copy to the trash." in page and f'name="photo" value="{small.id}"' in page
    assert "No near-duplicates" in page

    signed_in.post(reverse("search:duplicates-undo"), {"photo": small.id})
    small.refresh_from_db()
    assert small.trashed_at is None
    assert "1 copies of big.jpg" not in signed_in.get(reverse("search:duplicates")).content.decode()
    assert "2 copies of big.jpg" in signed_in.get(reverse("search:duplicates")).content.decode()


def test_keep_best_keeps_the_copy_the_owner_chose(signed_in, pair):
    big, small = pair
    signed_in.post(reverse("search:duplicates-keep-best"), {"photo": big.id, "keep": small.id})
    assert list(Photo.objects.filter(trashed_at=None).values_list("id", flat=True)) == [small.id]
    assert Photo.objects.filter(id=big.id).exists()  # in the trash, not gone


def test_keep_best_of_all_trashes_and_deletes_nothing(signed_in, pair):
    big, _small = pair
    signed_in.post(reverse("search:duplicates-keep-best"), {"all": "1"})
    assert Photo.objects.count() == 2
    assert list(Photo.objects.filter(trashed_at=None).values_list("id", flat=True)) == [big.id]


def test_undo_restores_only_my_photos(client, other_user, signed_in, pair):
    _big, small = pair
    signed_in.post(reverse("search:duplicates-keep-best"), {"photo": small.id})
    client.force_login(other_user)
    assert client.post(reverse("search:duplicates-undo"), {"photo": small.id}).status_code == 404
    small.refresh_from_db()
    assert small.trashed_at is not None


def test_other_users_see_no_groups_and_cannot_resolve_mine(client, other_user, pair):
    client.force_login(other_user)
    assert "No near-duplicates" in client.get(reverse("search:duplicates")).content.decode()
    response = client.post(reverse("search:duplicates-keep-best"), {"photo": pair[0].id})
    assert response.status_code == 404
    assert Photo.objects.count() == 2


def test_duplicates_page_needs_login(client, db):
    assert client.get(reverse("search:duplicates")).status_code == 302
