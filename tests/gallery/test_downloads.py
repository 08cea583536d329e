"""A selection or an album as a zip: the originals byte for byte, streamed in bounded chunks, owner-only."""

import io
import zipfile

import pytest
from django.urls import reverse

from gallery import services
from gallery.downloads import CHUNK, photos_zip
from gallery.models import Photo
from tests import images
from tests.factories import PhotoFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def three(user):
    return [
        PhotoFactory(owner=user, name=name, content=images.jpeg(sample))
        for name, sample in (("a.jpg", "chelsea"), ("a.jpg", "coffee"), ("b.png", "rocket"))
    ]


def test_selection_zip_holds_the_originals_with_unique_names(signed_in, three):
    response = signed_in.get(reverse("gallery:download") + "?ids=" + ",".join(str(p.id) for p in three))
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == 'attachment; filename="photos.zip"'
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert sorted(archive.namelist()) == ["a (2).jpg", "a.jpg", "b.png"]
    by_size = {p.size_bytes: p for p in three}
    for info in archive.infolist():
        photo = by_size[info.file_size]
        with photo.original.open("rb") as original:
            assert archive.read(info) == original.read()


def test_album_zip_is_named_after_the_album(signed_in, user, three):
    album = services.album_create(owner=user, name="Summer", photo_ids=[three[0].id, three[2].id])
    response = signed_in.get(reverse("gallery:album-download", args=[album.id]))
    assert response["Content-Disposition"] == 'attachment; filename="Summer.zip"'
    assert len(zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).namelist()) == 2


def test_another_users_photo_or_album_is_404(client, other_user, user, three):
    album = services.album_create(owner=user, name="Mine", photo_ids=[three[0].id])
    client.force_login(other_user)
    assert client.get(reverse("gallery:download") + f"?ids={three[0].id}").status_code == 404
    assert client.get(reverse("gallery:album-download", args=[album.id])).status_code == 404


def test_no_ids_is_400(signed_in):
    assert signed_in.get(reverse("gallery:download")).status_code == 400
    assert signed_in.get(reverse("gallery:download") + "?ids=x").status_code == 400


def test_chunks_stay_bounded_whatever_the_photo_size(user):
    """Ensure a large original is sent in pieces, never held whole: memory stays flat for 1,000 photos."""
    big = images.encode(images.sample("astronaut").resize((3000, 3000)), "PNG")  # several MB
    photo = PhotoFactory(owner=user, name="big.png", content=big)
    chunks = list(photos_zip(photos=Photo.objects.filter(id=photo.id)))
    assert len(big) > 2 * CHUNK
    assert max(len(c) for c in chunks) <= CHUNK + 1024
    assert zipfile.ZipFile(io.BytesIO(b"".join(chunks))).read("big.png") == big
