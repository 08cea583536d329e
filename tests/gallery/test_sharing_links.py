"""Share links: a token only its hash is stored of, an album's photos and nothing else, revoked at once,
passwords throttled like log-in, downloads and locations off unless asked for."""

import io
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from gallery import services
from gallery.models import AlbumLink
from gallery.validators import validate_image
from tests.gallery.sharing_fixtures import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def generous_rates(settings):
    settings.SHARE_MISSES_PER_ADDRESS = "1000/hour"
    settings.AUTH_RATE_PER_ADDRESS = "1000/hour"


def make_link(world, **body):
    response = client_for(world.owner).post(f"/api/albums/{world.album.id}/links/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_created_link_has_a_256_bit_token_stored_only_as_a_hash(world):
    data = make_link(world)
    assert set(data) >= {"id", "token", "url", "prefix", "view_count", "allow_download", "show_location"}
    assert len(data["token"]) >= 43  # 32 random bytes, URL-safe base64
    assert data["url"].endswith(f"/s/{data['token']}/")
    link = AlbumLink.objects.get(id=data["id"])
    assert data["token"] not in {link.digest, link.prefix, link.label}
    assert link.prefix == data["token"][:6]
    assert (link.allow_download, link.show_location) == (False, False)


def test_link_list_shows_no_token_but_views_and_last_use(world):
    data = make_link(world)
    client_for().get(f"/api/shared/{data['token']}/")
    listed = client_for(world.owner).get(f"/api/albums/{world.album.id}/links/").json()["results"]
    assert [(row["id"], row["token"], row["url"], row["view_count"]) for row in listed] == [(data["id"], None, None, 1)]
    assert listed[0]["last_used_at"] is not None


def test_link_shows_exactly_the_albums_photos_without_an_account(world):
    data = make_link(world)
    response = client_for().get(f"/api/shared/{data['token']}/")
    assert response.status_code == 200
    body = response.json()
    assert body["album"]["name"] == "Holiday"
    expected = {p.id for p in world.inside} | {world.contributed.id}
    assert {p["id"] for p in body["photos"]} == expected
    for photo in body["photos"]:
        assert set(photo) >= {"id", "thumbnail_url", "width", "height"}
        assert photo["original_url"] is None and photo["latitude"] is None
        thumbnail = client_for().get(photo["thumbnail_url"])
        assert thumbnail.status_code == 200 and thumbnail["Content-Type"] == "image/jpeg"
        assert thumbnail["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer" and "noindex" in response["X-Robots-Tag"]


def test_any_other_photo_through_the_link_is_404(world):
    token = make_link(world)["token"]
    for photo in (world.outside, world.contributor_private, world.stranger_photo):
        for which in ("thumbnail", "original"):
            assert client_for().get(f"/api/shared/{token}/photos/{photo.id}/{which}").status_code == 404


def test_a_thumbnail_url_works_only_with_its_own_link(world):
    token = make_link(world)["token"]
    other_album = services.album_create(owner=world.owner, name="Other", photo_ids=[world.outside.id])
    _, other_token = services.link_create(album=other_album)
    assert client_for().get(f"/api/shared/{other_token}/photos/{world.inside[0].id}/thumbnail").status_code == 404
    assert client_for().get(f"/api/shared/{token}/photos/{world.inside[0].id}/thumbnail").status_code == 200


def test_revoked_link_is_404_on_the_next_request(world):
    data = make_link(world)
    url, thumb = f"/api/shared/{data['token']}/", f"/api/shared/{data['token']}/photos/{world.inside[0].id}/thumbnail"
    assert client_for().get(url).status_code == 200
    owner = client_for(world.owner)
    assert owner.delete(f"/api/albums/{world.album.id}/links/{data['id']}/").status_code == 204
    assert client_for().get(url).status_code == 404
    assert client_for().get(thumb).status_code == 404
    assert client_for().get(f"/s/{data['token']}/").status_code == 404


def test_expired_and_wrong_tokens_are_404(world):
    link, token = services.link_create(album=world.album, expires_at=timezone.now() + timedelta(minutes=5))
    AlbumLink.objects.filter(id=link.id).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client_for().get(f"/api/shared/{token}/").status_code == 404
    assert client_for().get(f"/api/shared/{token[:-1]}x/").status_code == 404
    assert client_for().get("/api/shared/" + "a" * 500 + "/").status_code == 404


def test_expiry_in_the_past_is_refused(world):
    response = client_for(world.owner).post(
        f"/api/albums/{world.album.id}/links/", {"expires_at": "2001-01-01T00:00:00Z"}, format="json"
    )
    assert response.status_code == 400 and "expires_at" in response.json()
    assert not AlbumLink.objects.exists()


def test_members_and_strangers_cannot_make_or_list_links(world):
    for user in (world.viewer, world.contributor, world.stranger):
        client = client_for(user)
        assert client.post(f"/api/albums/{world.album.id}/links/", {}, format="json").status_code == 404
        assert client.get(f"/api/albums/{world.album.id}/links/").status_code == 404
    assert not AlbumLink.objects.exists()


def test_password_link_missing_password_is_401_wrong_is_404_right_is_200(world):
    token = make_link(world, password="open sesame")["token"]
    missing = client_for().get(f"/api/shared/{token}/")
    assert missing.status_code == 401 and missing.json()["detail"]
    assert client_for().get(f"/api/shared/{token}/", HTTP_X_SHARE_PASSWORD="wrong").status_code == 404
    right = client_for().get(f"/api/shared/{token}/", HTTP_X_SHARE_PASSWORD="open sesame")
    assert right.status_code == 200
    assert AlbumLink.objects.get().password.startswith(("md5$", "pbkdf2"))  # Django's hash, not the password


def test_password_session_remembers_the_link_until_it_is_revoked(world):
    data = make_link(world, password="open sesame")
    client = client_for()
    assert client.get(f"/api/shared/{data['token']}/", HTTP_X_SHARE_PASSWORD="open sesame").status_code == 200
    thumb = f"/api/shared/{data['token']}/photos/{world.inside[0].id}/thumbnail"
    assert client.get(thumb).status_code == 200  # the image tags of the page send no header
    assert client_for().get(thumb).status_code == 401  # another browser has not given it
    services.link_revoke(link=AlbumLink.objects.get(id=data["id"]))
    assert client.get(thumb).status_code == 404


def test_password_guessing_backs_off_per_link_like_log_in(world, settings):
    settings.AUTH_FREE_FAILURES = 3
    token = make_link(world, password="open sesame")["token"]
    codes = [
        client_for()
        .get(f"/api/shared/{token}/", HTTP_X_SHARE_PASSWORD=f"guess {i}", REMOTE_ADDR=f"10.0.0.{i}")
        .status_code
        for i in range(5)
    ]
    assert codes[:4] == [404, 404, 404, 404]
    assert codes[4] == 429  # from yet another address: the link itself is backing off


def test_token_guessing_is_throttled_per_address(world, settings):
    settings.SHARE_MISSES_PER_ADDRESS = "3/hour"
    good = make_link(world)["token"]
    codes = [client_for().get(f"/api/shared/guess{i}/", REMOTE_ADDR="10.1.1.1").status_code for i in range(4)]
    assert codes == [404, 404, 404, 429]
    assert client_for().get(f"/api/shared/{good}/", REMOTE_ADDR="10.1.1.1").status_code == 429
    assert client_for().get(f"/api/shared/{good}/", REMOTE_ADDR="10.1.1.2").status_code == 200


def test_a_good_links_own_requests_never_count_as_guesses(world, settings):
    settings.SHARE_MISSES_PER_ADDRESS = "2/hour"
    token = make_link(world)["token"]
    for _ in range(10):
        assert client_for().get(f"/api/shared/{token}/photos/{world.inside[0].id}/thumbnail").status_code == 200


def test_originals_only_when_the_link_allows_downloads(world):
    token = make_link(world)["token"]
    assert client_for().get(f"/api/shared/{token}/photos/{world.inside[0].id}/original").status_code == 404
    token = make_link(world, allow_download=True)["token"]
    assert client_for().get(f"/api/shared/{token}/photos/{world.inside[0].id}/original").status_code == 200


def test_original_through_a_link_without_location_has_no_gps_and_the_same_pixels(world):
    photo = world.inside[0]
    assert photo.latitude is not None  # the fixture's photo does carry GPS
    token = make_link(world, allow_download=True)["token"]
    data = client_for().get(f"/api/shared/{token}/photos/{photo.id}/original").content
    info = validate_image(io.BytesIO(data), size=len(data))
    assert (info.latitude, info.longitude) == (None, None)
    with Image.open(io.BytesIO(data)) as served, photo.original.open("rb") as stored, Image.open(stored) as original:
        assert not served.getexif().get_ifd(0x8825)
        assert served.tobytes() == original.tobytes()  # rewritten losslessly: the same compressed image


def test_original_through_a_link_with_location_keeps_it(world):
    token = make_link(world, allow_download=True, show_location=True)["token"]
    body = client_for().get(f"/api/shared/{token}/").json()
    located = next(p for p in body["photos"] if p["id"] == world.inside[0].id)
    assert located["latitude"] == pytest.approx(48.8566, abs=1e-3)
    data = b"".join(client_for().get(located["original_url"]).streaming_content)
    assert validate_image(io.BytesIO(data), size=len(data)).latitude == pytest.approx(48.8566, abs=1e-3)


def test_trashed_photo_leaves_the_link_at_once(world):
    token = make_link(world)["token"]
    services.photos_trash(owner=world.owner, photo_ids=[world.inside[0].id])
    body = client_for().get(f"/api/shared/{token}/").json()
    assert world.inside[0].id not in {p["id"] for p in body["photos"]}
    assert client_for().get(f"/api/shared/{token}/photos/{world.inside[0].id}/thumbnail").status_code == 404


def test_public_page_shows_the_grid_escaped_with_noindex_and_no_referrer(world, client):
    world.album.name = '<script>alert("x")</script>'
    world.album.save()
    token = make_link(world)["token"]
    response = client.get(f"/s/{token}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    assert response["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response["X-Robots-Tag"] and '<meta name="robots" content="noindex' in html
    assert "Content-Security-Policy" in response
    for photo in world.inside:
        assert f"/api/shared/{token}/photos/{photo.id}/thumbnail" in html
    assert f"/photos/{world.outside.id}/" not in html


def test_public_page_password_form_then_grid(world, client):
    token = make_link(world, password="open sesame")["token"]
    form = client.get(f"/s/{token}/")
    assert form.status_code == 401 and b'name="password"' in form.content
    wrong = client.post(f"/s/{token}/", {"password": "nope"})
    assert wrong.status_code == 401 and b"not the password" in wrong.content
    right = client.post(f"/s/{token}/", {"password": "open sesame"})
    assert right.status_code == 302
    assert client.get(f"/s/{token}/").status_code == 200


def test_public_page_password_post_needs_csrf(world):
    token = make_link(world, password="open sesame")["token"]
    assert Client(enforce_csrf_checks=True).post(f"/s/{token}/", {"password": "open sesame"}).status_code == 403


def test_session_authenticated_sharing_changes_need_csrf(world):
    """Ensure the pages' session cannot be ridden to make a link, invite someone or revoke, without CSRF."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.owner)
    link, _ = services.link_create(album=world.album)
    album = f"/api/albums/{world.album.id}"
    assert client.post(f"{album}/links/", {}, content_type="application/json").status_code == 403
    body = {"username": world.stranger.username, "role": "viewer"}
    assert client.post(f"{album}/members/", body, content_type="application/json").status_code == 403
    assert client.delete(f"{album}/links/{link.id}/").status_code == 403
    assert client.delete(f"{album}/members/{world.viewer.id}/").status_code == 403
    assert client.post(f"/albums/{world.album.id}/", {"action": "link-create"}).status_code == 403
    assert AlbumLink.objects.filter(album=world.album).count() == 1
    assert AlbumLink.objects.get().revoked_at is None


def test_a_deactivated_owners_links_stop(world):
    token = make_link(world)["token"]
    world.owner.is_active = False
    world.owner.save()
    assert client_for().get(f"/api/shared/{token}/").status_code == 404
