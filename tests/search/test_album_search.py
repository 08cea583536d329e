"""Search inside a shared album: the album's photos scored exactly, and no other photo of the owner surfaces."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gallery import services
from search.album_search import album_search
from tests.factories import UserFactory
from tests.gallery.sharing_fixtures import client_for
from tests.search.conftest import upload_samples

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared(user, django_capture_on_commit_callbacks):
    """The owner's four processed samples; chelsea and coffee in an album shared with a viewer."""
    photos = upload_samples(user, capture=django_capture_on_commit_callbacks)
    album = services.album_create(owner=user, name="Kitchen", photo_ids=[photos["chelsea"].id, photos["coffee"].id])
    viewer = UserFactory()
    services.member_add(album=album, username=viewer.username, role="viewer")
    return {"album": album, "viewer": viewer, "photos": photos}


def names(response) -> list[str]:
    return [hit["photo"]["original_name"].removesuffix(".jpg") for hit in response.json()["results"]]


def test_member_finds_the_cat_in_the_album(shared):
    response = client_for(shared["viewer"]).get(f"/api/albums/{shared['album'].id}/search/?q=cat")
    assert response.status_code == 200
    assert names(response) == ["chelsea", "coffee"]
    assert response.json()["results"][0]["photo"]["shared"] is True


def test_a_word_matching_only_the_owners_other_photos_still_returns_only_album_photos(shared):
    response = client_for(shared["viewer"]).get(f"/api/albums/{shared['album'].id}/search/?q=rocket&k=100")
    assert sorted(names(response)) == ["chelsea", "coffee"]


def test_search_by_an_album_photo_ranks_the_others_of_the_album_only(shared):
    chelsea = shared["photos"]["chelsea"]
    response = client_for(shared["viewer"]).get(f"/api/albums/{shared['album'].id}/search/?photo={chelsea.id}")
    assert names(response) == ["coffee"]


def test_searching_by_a_photo_outside_the_album_is_404(shared):
    rocket = shared["photos"]["rocket"]
    response = client_for(shared["viewer"]).get(f"/api/albums/{shared['album'].id}/search/?photo={rocket.id}")
    assert response.status_code == 404


def test_a_stranger_cannot_search_the_album(shared):
    response = client_for(UserFactory()).get(f"/api/albums/{shared['album'].id}/search/?q=cat")
    assert response.status_code == 404


def test_a_contributors_photo_is_searched_with_the_album(shared, django_capture_on_commit_callbacks):
    contributor = UserFactory()
    services.member_add(album=shared["album"], username=contributor.username, role="contributor")
    theirs = upload_samples(contributor, names=("astronaut",), capture=django_capture_on_commit_callbacks)
    services.album_photos_add(album=shared["album"], photo_ids=[theirs["astronaut"].id], by=contributor)
    response = client_for(shared["viewer"]).get(f"/api/albums/{shared['album'].id}/search/?q=person")
    assert sorted(names(response)) == ["astronaut", "chelsea", "coffee"]
    assert names(response)[0] == "astronaut"


def test_unknown_word_is_a_400_with_suggestions(shared):
    response = client_for(shared["viewer"]).get(f"/api/albums/{shared['album'].id}/search/?q=coffe")
    assert response.status_code == 400 and "suggestions" in response.json()


def test_album_search_reads_the_same_rows_whatever_else_the_owner_has(shared, django_capture_on_commit_callbacks):
    """Ensure the searches' queries are the same, in number and shape, with more of the owner's photos outside
    the album, and that on SQLite each is an index lookup (no scan a larger gallery would lengthen)."""

    def queries() -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            album_search(user=shared["viewer"], album_id=shared["album"].id, k=20, q="cat")
        return [q["sql"] for q in captured.captured_queries]

    before = queries()
    owner = shared["album"].owner
    upload_samples(owner, names=("camera",), capture=django_capture_on_commit_callbacks)
    after = queries()
    assert len(before) == len(after) and [q.split(" WHERE ")[0] for q in before] == [
        q.split(" WHERE ")[0] for q in after
    ]
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for sql in after:
                cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
                plan = " | ".join(row[-1] for row in cursor.fetchall())
                assert "SCAN gallery_photo" not in plan and "SCAN search_photoembedding" not in plan, (sql, plan)
