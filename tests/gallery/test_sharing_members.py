"""Albums shared with accounts: members see the album's photos through the ordinary photo endpoints and nothing
else of the owner's; viewers look, contributors add and take out their own; only the owner edits or shares."""

import io

import pytest
from PIL import Image

from gallery import services
from gallery.media import without_location
from gallery.models import AlbumMember, AlbumPhoto
from gallery.validators import validate_image
from tests import images
from tests.factories import PhotoFactory
from tests.gallery.sharing_fixtures import client_for

pytestmark = pytest.mark.django_db


def test_shared_albums_are_listed_for_members_only(world):
    listed = client_for(world.viewer).get("/api/albums/?shared=true").json()["results"]
    assert [(a["id"], a["name"], a["owner"], a["role"], a["count"]) for a in listed] == [
        (world.album.id, "Holiday", world.owner.username, "viewer", 3)
    ]
    assert client_for(world.viewer).get("/api/albums/").json()["results"] == []
    assert client_for(world.stranger).get("/api/albums/?shared=true").json()["results"] == []


def test_member_opens_the_albums_photos_through_the_photo_endpoints(world):
    for member in (world.viewer, world.contributor):
        client = client_for(member)
        for photo in [*world.inside, world.contributed]:
            detail = client.get(f"/api/photos/{photo.id}/")
            assert detail.status_code == 200
            if photo.owner_id != member.pk:
                assert detail.json()["shared"] is True
                assert not {"latitude", "longitude", "tags", "favourite"} & set(detail.json())
            assert client.get(f"/api/photos/{photo.id}/thumbnail").status_code == 200
            assert client.get(f"/api/photos/{photo.id}/original").status_code == 200
            assert client.get(f"/photos/{photo.id}/").status_code == 200


def test_member_never_sees_the_owners_other_photos_or_albums(world):
    for member in (world.viewer, world.contributor):
        client = client_for(member)
        for url in (
            f"/api/photos/{world.outside.id}/",
            f"/api/photos/{world.outside.id}/thumbnail",
            f"/api/photos/{world.outside.id}/original",
            f"/photos/{world.outside.id}/",
            f"/photos/{world.outside.id}/original",
            f"/api/albums/{world.other_album.id}/",
            f"/api/albums/{world.other_album.id}/photos/",
            f"/api/search/similar/?photo={world.inside[0].id}",
        ):
            assert client.get(url).status_code == 404, (member, url)
    assert client_for(world.viewer).get(f"/api/photos/{world.contributor_private.id}/").status_code == 404


def test_a_stranger_sees_nothing(world):
    client = client_for(world.stranger)
    for photo in [*world.inside, world.contributed, world.outside]:
        assert client.get(f"/api/photos/{photo.id}/").status_code == 404
        assert client.get(f"/api/photos/{photo.id}/thumbnail").status_code == 404
    assert client.get(f"/api/albums/{world.album.id}/").status_code == 404
    assert client.get(f"/albums/{world.album.id}/").status_code == 404


def test_member_original_has_no_location(world):
    data = client_for(world.viewer).get(f"/api/photos/{world.inside[0].id}/original").content
    assert validate_image(io.BytesIO(data), size=len(data)).latitude is None
    own = b"".join(client_for(world.owner).get(f"/api/photos/{world.inside[0].id}/original").streaming_content)
    assert validate_image(io.BytesIO(own), size=len(own)).latitude is not None


def test_only_the_owner_edits_the_owners_photos(world):
    photo = world.inside[0]
    for member in (world.viewer, world.contributor):
        client = client_for(member)
        assert client.patch(f"/api/photos/{photo.id}/", {"favourite": True}, format="json").status_code == 404
        assert client.delete(f"/api/photos/{photo.id}/").status_code == 404
        assert client.post(f"/api/photos/{photo.id}/tags/", {"name": "mine"}, format="json").status_code == 404
        assert client.post(f"/api/photos/{photo.id}/retry/").status_code == 404
        assert client.post("/api/photos/bulk/trash/", {"ids": [photo.id]}, format="json").status_code == 404
        assert client.post("/api/photos/bulk/delete/", {"ids": [photo.id]}, format="json").status_code == 404
        assert client.patch(f"/api/albums/{world.album.id}/", {"name": "Mine"}, format="json").status_code == 404
        assert client.delete(f"/api/albums/{world.album.id}/").status_code == 404
        body = {"username": world.stranger.username, "role": "viewer"}
        assert client.post(f"/api/albums/{world.album.id}/members/", body, format="json").status_code == 404
    photo.refresh_from_db()
    assert photo.trashed_at is None and not photo.favourite and not photo.photo_tags.exists()
    world.album.refresh_from_db()
    assert world.album.name == "Holiday"
    assert not AlbumMember.objects.filter(user=world.stranger).exists()


def test_viewer_cannot_add_photos(world):
    mine = world.stranger_photo
    services.member_add(album=world.album, username=world.stranger.username, role="viewer")
    response = client_for(world.stranger).post(
        f"/api/albums/{world.album.id}/photos/", {"ids": [mine.id]}, format="json"
    )
    assert response.status_code == 404
    assert not AlbumPhoto.objects.filter(album=world.album, photo=mine).exists()


def test_contributor_adds_their_own_photos_only(world):
    client = client_for(world.contributor)
    url = f"/api/albums/{world.album.id}/photos/"
    assert client.post(url, {"ids": [world.contributor_private.id]}, format="json").json() == {"changed": 1}
    assert client.post(url, {"ids": [world.stranger_photo.id]}, format="json").status_code == 404
    row = AlbumPhoto.objects.get(album=world.album, photo=world.contributor_private)
    assert row.added_by == world.contributor
    assert client_for(world.viewer).get(f"/api/photos/{world.contributor_private.id}/").status_code == 200


def test_contributor_removes_what_they_added_and_nothing_else(world):
    client = client_for(world.contributor)
    url = f"/api/albums/{world.album.id}/photos/remove/"
    assert client.post(url, {"ids": [world.inside[0].id]}, format="json").status_code == 404
    assert client.post(url, {"ids": [world.contributed.id, world.inside[0].id]}, format="json").status_code == 404
    assert AlbumPhoto.objects.filter(album=world.album).count() == 3
    assert client.post(url, {"ids": [world.contributed.id]}, format="json").json() == {"changed": 1}


def test_owner_sees_and_removes_a_contributors_photo_but_cannot_edit_it(world):
    owner = client_for(world.owner)
    detail = owner.get(f"/api/photos/{world.contributed.id}/").json()
    assert detail["shared"] is True and detail["owner"] == world.contributor.username
    assert owner.delete(f"/api/photos/{world.contributed.id}/").status_code == 404
    remove = owner.post(f"/api/albums/{world.album.id}/photos/remove/", {"ids": [world.contributed.id]}, format="json")
    assert remove.json() == {"changed": 1}
    assert owner.get(f"/api/photos/{world.contributed.id}/").status_code == 404


def test_album_photos_list_says_who_added_what(world):
    results = client_for(world.viewer).get(f"/api/albums/{world.album.id}/photos/").json()["results"]
    added = {row["id"]: row["added_by"] for row in results}
    assert added == {
        world.inside[0].id: world.owner.username,
        world.inside[1].id: world.owner.username,
        world.contributed.id: world.contributor.username,
    }


def test_removing_a_member_takes_effect_on_the_next_request(world):
    photo = world.inside[0]
    viewer = client_for(world.viewer)
    assert viewer.get(f"/api/photos/{photo.id}/thumbnail").status_code == 200
    owner = client_for(world.owner)
    assert owner.delete(f"/api/albums/{world.album.id}/members/{world.viewer.id}/").status_code == 204
    assert viewer.get(f"/api/photos/{photo.id}/thumbnail").status_code == 404
    assert viewer.get(f"/api/albums/{world.album.id}/").status_code == 404


def test_a_member_can_leave_and_takes_their_photos_along(world):
    client = client_for(world.contributor)
    assert client.delete(f"/api/albums/{world.album.id}/members/{world.contributor.id}/").status_code == 204
    assert client.get(f"/api/photos/{world.inside[0].id}/").status_code == 404
    assert not AlbumPhoto.objects.filter(album=world.album, photo=world.contributed).exists()
    assert client.get(f"/api/photos/{world.contributed.id}/").status_code == 200  # still theirs


def test_a_member_cannot_remove_another_member(world):
    url = f"/api/albums/{world.album.id}/members/{world.contributor.id}/"
    assert client_for(world.viewer).delete(url).status_code == 404
    assert AlbumMember.objects.filter(album=world.album, user=world.contributor).exists()


def test_inviting_an_unknown_account_or_yourself_is_a_400(world):
    owner = client_for(world.owner)
    url = f"/api/albums/{world.album.id}/members/"
    assert owner.post(url, {"username": "nobody-here", "role": "viewer"}, format="json").status_code == 400
    assert owner.post(url, {"username": world.owner.username, "role": "viewer"}, format="json").status_code == 400
    assert owner.post(url, {"username": world.stranger.username, "role": "admin"}, format="json").status_code == 400
    assert AlbumMember.objects.filter(album=world.album).count() == 2


def test_owner_lists_members_and_changes_a_role(world):
    owner = client_for(world.owner)
    url = f"/api/albums/{world.album.id}/members/"
    changed = owner.post(url, {"username": world.viewer.username, "role": "contributor"}, format="json")
    assert changed.status_code == 201 and changed.json()["role"] == "contributor"
    listed = {row["username"]: row["role"] for row in owner.get(url).json()["results"]}
    assert listed == {world.viewer.username: "contributor", world.contributor.username: "contributor"}


def test_photo_trashed_by_its_owner_disappears_for_members(world):
    services.photos_trash(owner=world.owner, photo_ids=[world.inside[0].id])
    assert client_for(world.viewer).get(f"/api/photos/{world.inside[0].id}/thumbnail").status_code == 404


def test_member_album_page_is_read_only_and_notice_goes_once_opened(world, client):
    client.force_login(world.viewer)
    albums = client.get("/albums/").content.decode()
    assert "shared “" in albums and world.owner.username in albums
    page = client.get(f"/albums/{world.album.id}/").content.decode()
    assert "Leave album" in page and "Rename" not in page and "share-panel" not in page
    assert "shared “" not in client.get("/albums/").content.decode()
    assert client.post(f"/albums/{world.album.id}/", {"name": "Mine"}).status_code == 404
    world.album.refresh_from_db()
    assert world.album.name == "Holiday"


def test_owner_album_page_creates_a_link_shown_once(world, client):
    client.force_login(world.owner)
    page = client.post(f"/albums/{world.album.id}/", {"action": "link-create", "label": "Grandma"})
    html = page.content.decode()
    assert page.status_code == 200 and 'id="new-link-url"' in html
    assert "Grandma" in html
    assert 'id="new-link-url"' not in client.get(f"/albums/{world.album.id}/").content.decode()


def test_gallery_says_who_shared_which_album_until_it_is_opened(world, client):
    client.force_login(world.contributor)
    home = client.get("/").content.decode()
    assert f"<strong>{world.owner.username}</strong> shared “" in home and "Holiday" in home
    client.get(f"/albums/{world.album.id}/")
    assert "shared “" not in client.get("/").content.decode()
    assert client_for(world.contributor).get("/api/albums/?shared=true").json()["results"][0]["unseen"] is False


def test_album_page_lists_who_added_what(world, client):
    client.force_login(world.owner)
    html = client.get(f"/albums/{world.album.id}/").content.decode()
    assert f"added by {world.contributor.username}" in html


def test_member_gets_a_png_without_its_exif_gps(world):
    picture = images.sample("coffee")
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 7.0)}
    png = PhotoFactory(owner=world.owner, name="map.png", content=images.encode(picture, "PNG", exif=exif.tobytes()))
    assert png.latitude is not None
    services.album_photos_add(album=world.album, photo_ids=[png.id])
    response = client_for(world.viewer).get(f"/api/photos/{png.id}/original")
    assert response["Content-Type"] == "image/png"
    data = response.content
    assert validate_image(io.BytesIO(data), size=len(data)).latitude is None
    with Image.open(io.BytesIO(data)) as served:
        assert not served.getexif() and served.convert("RGB").tobytes() == picture.tobytes()


def test_a_jpeg_whose_exif_cannot_be_parsed_is_rewritten_without_metadata(world):
    photo = world.inside[0]
    with photo.original.open("rb") as original:
        good = original.read()
    garbled = b"Exif\x00\x00NOT A TIFF HEADER"
    broken = good[:2] + b"\xff\xe1" + (len(garbled) + 2).to_bytes(2, "big") + garbled + good[2:]
    data, content_type, name = without_location(broken, photo=photo)
    assert content_type == "image/png" and name.endswith(".png")
    with Image.open(io.BytesIO(data)) as served:
        assert not served.getexif().get_ifd(0x8825)


def test_contributors_selection_bar_offers_the_shared_album_and_viewers_does_not(world, client):
    option = f'<option value="{world.album.id}">Holiday</option>'
    client.force_login(world.contributor)
    assert option in client.get("/").content.decode()
    client.force_login(world.viewer)
    assert option not in client.get("/").content.decode()
