import os
from datetime import UTC

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gallery import services
from gallery.models import Photo, PhotoTag
from tests import images
from tests.factories import PhotoFactory


@pytest.fixture
def photo(user):
    return PhotoFactory(owner=user)


def test_upload_returns_photo_fields(api, on_commit):
    with on_commit():
        response = api.post("/api/photos/", {"files": [SimpleUploadedFile("cat.jpg", images.jpeg())]})
    assert response.status_code == 201
    [created] = response.json()["created"]
    assert {"id", "original_name", "status", "width", "height", "thumbnail_url", "tags"} <= set(created)
    assert (created["width"], created["height"]) == (451, 300)
    detail = api.get(f"/api/photos/{created['id']}/").json()
    assert detail["status"] == "ready"
    assert api.get(detail["thumbnail_url"]).status_code == 200


def test_upload_without_files_is_400(api):
    response = api.post("/api/photos/", {}, format="multipart")
    assert response.status_code == 400
    assert "files" in response.json()


def test_list_is_paginated(api, user):
    for i in range(3):
        PhotoFactory(owner=user, content=images.encode(images.solid((i, 0, 0)), "PNG"))
    body = api.get("/api/photos/?page_size=2").json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    assert len(api.get(body["next"]).json()["results"]) == 1


def test_page_size_is_capped_at_1000(api, user):
    """Ensure a client asking for 5000 a page gets 1000, and the rest on the next page."""
    stored = PhotoFactory(owner=user)
    fields = {f: getattr(stored, f) for f in ("original", "size_bytes", "format", "width", "height")}
    Photo.objects.bulk_create(
        [Photo(owner=user, original_name=f"{i}.jpg", sha256=f"{i:064x}", **fields) for i in range(1, 1001)]
    )
    body = api.get("/api/photos/?page_size=5000").json()
    assert (body["count"], len(body["results"])) == (1001, 1000)
    assert len(api.get(body["next"]).json()["results"]) == 1


def test_list_filters_by_tag_and_status(api, user, photo):
    other = PhotoFactory(owner=user, content=images.jpeg("coffee"))
    services.tag_add(photo=photo, name="Garden")
    Photo.objects.filter(id=other.id).update(status=Photo.Status.FAILED, error="boom")
    assert [p["id"] for p in api.get("/api/photos/?tag=garden").json()["results"]] == [photo.id]
    assert [p["id"] for p in api.get("/api/photos/?status=failed").json()["results"]] == [other.id]


def test_list_filters_by_ids(api, user, photo, other_user):
    mine = PhotoFactory(owner=user, content=images.jpeg("coffee"))
    theirs = PhotoFactory(owner=other_user, content=images.jpeg("rocket"))
    body = api.get(f"/api/photos/?ids={photo.id},{theirs.id},{mine.id}").json()
    assert sorted(p["id"] for p in body["results"]) == sorted([photo.id, mine.id])


def test_invalid_status_filter_is_400(api):
    assert api.get("/api/photos/?status=nonsense").status_code == 400


def test_delete_moves_to_the_trash_and_deleting_from_the_trash_removes_row_and_files(
    api, photo, django_capture_on_commit_callbacks
):
    path = photo.original.path
    assert api.delete(f"/api/photos/{photo.id}/").status_code == 204
    assert api.get(f"/api/photos/{photo.id}/").status_code == 404  # gone from the gallery...
    assert [p["id"] for p in api.get("/api/trash/").json()["results"]] == [photo.id]  # ...into the trash
    assert os.path.exists(path)
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post("/api/trash/delete/", {"ids": [photo.id]}, format="json").json() == {"changed": 1}
    assert not Photo.objects.filter(id=photo.id).exists()
    assert not os.path.exists(path)


def test_user_tag_add_and_remove(api, photo):
    response = api.post(f"/api/photos/{photo.id}/tags/", {"name": "  Beach Day "}, format="json")
    assert response.status_code == 201
    assert [t["name"] for t in response.json()["tags"]] == ["beach day"]
    response = api.delete(f"/api/photos/{photo.id}/tags/?name=beach day")
    assert response.status_code == 200 and response.json()["tags"] == []


def test_invalid_tag_is_400(api, photo):
    response = api.post(f"/api/photos/{photo.id}/tags/", {"name": "<script>"}, format="json")
    assert response.status_code == 400
    assert "Tags are" in response.json()["detail"]


def test_accepting_and_rejecting_auto_tag(api, photo):
    services.tags_suggest(suggestions={photo: [("tabby", 0.7)]})
    response = api.patch(f"/api/photos/{photo.id}/tags/", {"name": "tabby", "accept": True}, format="json")
    assert response.json()["tags"] == [{"name": "tabby", "source": "auto", "state": "accepted", "confidence": 0.7}]
    response = api.patch(f"/api/photos/{photo.id}/tags/", {"name": "tabby", "accept": False}, format="json")
    assert response.json()["tags"] == []  # rejected suggestions are hidden, and remembered


def test_retry_failed_photo(api, photo, on_commit):
    Photo.objects.filter(id=photo.id).update(status=Photo.Status.FAILED, error="worker died", attempts=3)
    with on_commit():
        response = api.post(f"/api/photos/{photo.id}/retry/")
    assert response.status_code == 202
    photo.refresh_from_db()
    assert photo.status == Photo.Status.READY and photo.error == "" and photo.attempts == 1


def test_retry_of_stuck_pending_photo_processes_it(api, photo, on_commit):
    """Ensure a photo left pending (its message lost) can be retried by its owner."""
    assert photo.status == Photo.Status.PENDING
    with on_commit():
        response = api.post(f"/api/photos/{photo.id}/retry/")
    assert response.status_code == 202
    photo.refresh_from_db()
    assert photo.status == Photo.Status.READY


def test_retry_of_ready_photo_is_400(api, photo):
    Photo.objects.filter(id=photo.id).update(status=Photo.Status.READY)
    response = api.post(f"/api/photos/{photo.id}/retry/")
    assert response.status_code == 400
    assert "Only photos that are not ready" in response.json()["detail"]


def test_original_is_served_to_owner(api, photo):
    response = api.get(f"/api/photos/{photo.id}/original")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content) == photo.original.open("rb").read()


def test_no_public_media_url(client, photo):
    assert client.get(f"/protected-media/{photo.original.name}").status_code == 404
    assert client.get(f"/media/{photo.original.name}").status_code == 404


def test_schema_and_docs_work_offline(api):
    assert api.get("/api/schema/").status_code == 200
    docs = api.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs and "cdn" not in docs.lower()


def _many_photos(owner, count):
    return [
        PhotoFactory(owner=owner, content=images.encode(images.solid((i % 256, i // 256, 7)), "PNG"))
        for i in range(count)
    ]


def test_bulk_tag_and_accept_on_200_photos_take_one_request_each_and_leave_every_photo_consistent(
    api, user, django_assert_max_num_queries
):
    photos = _many_photos(user, 200)
    ids = [p.id for p in photos]
    services.tags_suggest(suggestions={p: [("tabby cat", 0.5)] for p in photos[:150]})
    services.tag_remove(photo=photos[0], name="tabby cat")  # a rejected suggestion is accepted by a bulk add too
    with django_assert_max_num_queries(25):  # a fixed number of statements, not one per photo
        added = api.post("/api/photos/bulk/tags/", {"ids": ids, "name": "Pets"}, format="json")
    assert added.status_code == 200 and added.json() == {"changed": 200}
    accepted = api.post("/api/photos/bulk/tags/", {"ids": ids, "name": "tabby cat", "action": "accept"}, format="json")
    assert accepted.status_code == 200 and accepted.json() == {"changed": 149}  # photos[0]'s was rejected
    states = dict(PhotoTag.objects.filter(photo__in=photos, tag__name="pets").values_list("photo_id", "state"))
    assert states == {i: PhotoTag.State.ACCEPTED for i in ids}
    tabby = PhotoTag.objects.filter(photo__in=photos, tag__name="tabby cat")
    assert dict(tabby.values_list("photo_id", "state")) == {
        **{p.id: PhotoTag.State.ACCEPTED for p in photos[1:150]},
        photos[0].id: PhotoTag.State.REJECTED,
    }
    assert sorted(p["id"] for p in api.get("/api/photos/?tag=pets&page_size=1000").json()["results"]) == sorted(ids)


def test_bulk_tag_with_another_users_id_is_404_and_changes_nothing(api, other_api, user, other_user):
    mine = _many_photos(user, 2)
    theirs = PhotoFactory(owner=other_user, content=images.jpeg("rocket"))
    response = api.post(
        "/api/photos/bulk/tags/", {"ids": [mine[0].id, theirs.id, mine[1].id], "name": "x"}, format="json"
    )
    assert response.status_code == 404
    assert not PhotoTag.objects.filter(tag__name="x").exists()  # not even on my own photos
    services.tag_add(photo=theirs, name="theirs")
    response = api.post(
        "/api/photos/bulk/tags/", {"ids": [theirs.id], "name": "theirs", "action": "remove"}, format="json"
    )
    assert response.status_code == 404
    assert PhotoTag.objects.filter(photo=theirs, tag__name="theirs").exists()


def test_bulk_tag_with_bad_input_is_400(api, user):
    [photo] = _many_photos(user, 1)
    assert api.post("/api/photos/bulk/tags/", {"ids": [], "name": "x"}, format="json").status_code == 400
    bad_name = api.post("/api/photos/bulk/tags/", {"ids": [photo.id], "name": "!!"}, format="json")
    assert bad_name.status_code == 400 and "Tags are" in bad_name.json()["detail"]
    assert (
        api.post("/api/photos/bulk/tags/", {"ids": [photo.id], "name": "x", "action": "zap"}, format="json").status_code
        == 400
    )


def test_list_refuses_an_id_too_long_to_be_one(api):
    response = api.get(f"/api/photos/?ids=1,{'9' * 5000}")  # found by the schema fuzzer: was a 500
    assert response.status_code == 400
    assert response.json()["ids"] == ["Comma-separated photo ids, e.g. 12,15."]


def test_bulk_delete_refuses_an_id_beyond_64_bits(api):
    response = api.post("/api/photos/bulk/delete/", {"ids": [2**63]}, format="json")  # fuzzer: was a 500
    assert response.status_code == 400
    assert "ids" in response.json()


def test_trash_restore_brings_photos_back_and_empty_deletes_the_rest(api, user, django_capture_on_commit_callbacks):
    keep, drop = _many_photos(user, 2)
    assert api.post("/api/photos/bulk/trash/", {"ids": [keep.id, drop.id]}, format="json").json() == {"changed": 2}
    assert api.get("/api/photos/").json()["count"] == 0
    trashed = api.get("/api/trash/").json()["results"]
    assert {p["id"] for p in trashed} == {keep.id, drop.id} and all(p["purge_at"] for p in trashed)
    assert api.post("/api/trash/restore/", {"ids": [keep.id]}, format="json").json() == {"changed": 1}
    assert [p["id"] for p in api.get("/api/photos/").json()["results"]] == [keep.id]
    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete("/api/trash/").json() == {"changed": 1}
    assert list(Photo.objects.values_list("id", flat=True)) == [keep.id]


def test_trash_of_another_user_is_404_and_untouched(api, other_api, user, other_user):
    [mine] = _many_photos(user, 1)
    theirs = PhotoFactory(owner=other_user, content=images.jpeg("rocket"))
    other_api.delete(f"/api/photos/{theirs.id}/")
    assert api.post("/api/photos/bulk/trash/", {"ids": [mine.id, theirs.id]}, format="json").status_code == 404
    assert api.post("/api/trash/restore/", {"ids": [theirs.id]}, format="json").status_code == 404
    assert api.post("/api/trash/delete/", {"ids": [theirs.id]}, format="json").status_code == 404
    assert api.get("/api/trash/").json()["results"] == []
    api.delete("/api/trash/")
    assert Photo.objects.get(id=theirs.id).trashed_at is not None  # still in their trash
    assert Photo.objects.get(id=mine.id).trashed_at is None
    assert api.get(f"/api/photos/{theirs.id}/original").status_code == 404


def test_restoring_a_photo_not_in_the_trash_is_404(api, user):
    [photo] = _many_photos(user, 1)
    assert api.post("/api/trash/restore/", {"ids": [photo.id]}, format="json").status_code == 404


def test_favourites_are_marked_in_bulk_and_filter_the_list(api, user):
    photos = _many_photos(user, 3)
    response = api.post("/api/photos/bulk/favourite/", {"ids": [photos[0].id, photos[2].id]}, format="json")
    assert response.json() == {"changed": 2}
    favourites = api.get("/api/photos/?favourite=true").json()["results"]
    assert {p["id"] for p in favourites} == {photos[0].id, photos[2].id} and all(p["favourite"] for p in favourites)
    assert api.patch(f"/api/photos/{photos[0].id}/", {"favourite": False}, format="json").json()["favourite"] is False
    assert [p["id"] for p in api.get("/api/photos/?favourite=true").json()["results"]] == [photos[2].id]


def test_favourite_of_another_users_photo_is_404(api, other_user):
    theirs = PhotoFactory(owner=other_user)
    assert api.post("/api/photos/bulk/favourite/", {"ids": [theirs.id]}, format="json").status_code == 404
    assert api.patch(f"/api/photos/{theirs.id}/", {"favourite": True}, format="json").status_code == 404
    assert Photo.objects.get(id=theirs.id).favourite is False


def test_album_create_add_cover_rename_remove_and_delete(api, user):
    photos = _many_photos(user, 3)
    created = api.post("/api/albums/", {"name": " Summer  2024 ", "ids": [photos[0].id]}, format="json")
    assert created.status_code == 201
    album = created.json()
    assert (album["name"], album["count"], album["cover"]) == ("Summer 2024", 1, photos[0].id)
    added = api.post(f"/api/albums/{album['id']}/photos/", {"ids": [p.id for p in photos]}, format="json")
    assert added.json() == {"changed": 2}  # the first was already in
    patched = api.patch(f"/api/albums/{album['id']}/", {"name": "Summer", "cover": photos[1].id}, format="json")
    assert (patched.json()["name"], patched.json()["cover"], patched.json()["count"]) == ("Summer", photos[1].id, 3)
    in_album = api.get(f"/api/photos/?album={album['id']}").json()["results"]
    assert {p["id"] for p in in_album} == {p.id for p in photos}
    removed = api.post(f"/api/albums/{album['id']}/photos/remove/", {"ids": [photos[1].id]}, format="json")
    assert removed.json() == {"changed": 1}
    assert api.get(f"/api/albums/{album['id']}/").json()["count"] == 2
    assert api.get(f"/api/albums/{album['id']}/").json()["cover"] != photos[1].id  # the cover left with it
    api.delete(f"/api/photos/{photos[2].id}/")  # trashed photos leave the album's count
    assert api.get(f"/api/albums/{album['id']}/").json()["count"] == 1
    assert api.delete(f"/api/albums/{album['id']}/").status_code == 204
    assert api.get("/api/albums/").json()["results"] == []
    assert Photo.objects.filter(id=photos[0].id).exists()  # photos outlive their album


def test_album_with_bad_input_is_400(api, user):
    [photo] = _many_photos(user, 1)
    assert api.post("/api/albums/", {"name": "   "}, format="json").status_code == 400
    album = api.post("/api/albums/", {"name": "A"}, format="json").json()
    response = api.patch(f"/api/albums/{album['id']}/", {"cover": photo.id}, format="json")
    assert response.status_code == 400 and "in the album" in response.json()["detail"]


def test_albums_of_another_user_are_404_and_untouched(api, other_api, user, other_user):
    [mine] = _many_photos(user, 1)
    theirs = PhotoFactory(owner=other_user, content=images.jpeg("rocket"))
    their_album = other_api.post("/api/albums/", {"name": "Theirs", "ids": [theirs.id]}, format="json").json()
    my_album = api.post("/api/albums/", {"name": "Mine"}, format="json").json()
    for method, url, body in [
        ("get", f"/api/albums/{their_album['id']}/", None),
        ("patch", f"/api/albums/{their_album['id']}/", {"name": "pwned"}),
        ("delete", f"/api/albums/{their_album['id']}/", None),
        ("post", f"/api/albums/{their_album['id']}/photos/", {"ids": [mine.id]}),
        ("post", f"/api/albums/{their_album['id']}/photos/remove/", {"ids": [theirs.id]}),
        ("post", f"/api/albums/{my_album['id']}/photos/", {"ids": [theirs.id]}),
    ]:
        assert getattr(api, method)(url, body, format="json").status_code == 404, (method, url)
    assert api.get(f"/api/photos/?album={their_album['id']}").json()["results"] == []
    assert api.post("/api/albums/", {"name": "Sneaky", "ids": [theirs.id]}, format="json").status_code == 404
    assert [a["name"] for a in api.get("/api/albums/").json()["results"]] == ["Mine"]  # no half-made album
    theirs_now = other_api.get(f"/api/albums/{their_album['id']}/").json()
    assert (theirs_now["name"], theirs_now["count"]) == ("Theirs", 1)


def test_photos_sort_by_date_taken_then_upload_time(api, user):
    from datetime import datetime

    def at(year, month=1):
        return datetime(year, month, 1, tzinfo=UTC)

    old, new, undated = _many_photos(user, 3)
    Photo.objects.filter(id=old.id).update(taken_at=at(2001), uploaded_at=at(2024, 3))
    Photo.objects.filter(id=new.id).update(taken_at=at(2020), uploaded_at=at(2024, 1))
    Photo.objects.filter(id=undated.id).update(uploaded_at=at(2024, 2))  # no EXIF date: its upload time stands in
    assert [p["id"] for p in api.get("/api/photos/").json()["results"]] == [undated.id, new.id, old.id]
    by_upload = [p["id"] for p in api.get("/api/photos/?sort=uploaded").json()["results"]]
    assert by_upload == [old.id, undated.id, new.id]
