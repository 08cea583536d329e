"""Shared set-up for the sharing tests: an owner's album with photos (thumbnails written), members, links."""

from django.core.files.base import ContentFile
from rest_framework.test import APIClient

from gallery import services
from gallery.images import open_rgb, thumbnail_jpeg
from gallery.models import AlbumMember, Photo
from tests import images
from tests.factories import PhotoFactory, UserFactory

PARIS = (48.8566, 2.3522)
THUMBNAIL_SIDE = 400


def with_thumbnail(photo: Photo) -> Photo:
    """A thumbnail as the pipeline would write it, from the original (the pipeline is not what these tests test)."""
    with photo.original.open("rb") as original:
        preview = open_rgb(original, short_side=THUMBNAIL_SIDE)
    photo.thumbnail.save("thumb.jpg", ContentFile(thumbnail_jpeg(preview, size=THUMBNAIL_SIDE)), save=True)
    photo.status = Photo.Status.READY
    photo.save(update_fields=["status"])
    return photo


def client_for(user=None) -> APIClient:
    """An API client signed in as ``user`` (pages too), or anonymous."""
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
        client.force_login(user)
    return client


class World:
    """owner with an album (two photos in it, one outside), a viewer, a contributor (with a photo of theirs in
    the album and one outside), and a stranger with a photo of their own."""

    def __init__(self):
        self.owner, self.viewer, self.contributor, self.stranger = (UserFactory() for _ in range(4))
        self.inside = [
            with_thumbnail(PhotoFactory(owner=self.owner, content=images.with_exif("chelsea", gps=PARIS))),
            with_thumbnail(PhotoFactory(owner=self.owner, content=images.jpeg("coffee"))),
        ]
        self.outside = with_thumbnail(PhotoFactory(owner=self.owner, content=images.jpeg("astronaut")))
        self.album = services.album_create(owner=self.owner, name="Holiday", photo_ids=[p.id for p in self.inside])
        self.other_album = services.album_create(owner=self.owner, name="Private", photo_ids=[self.outside.id])
        services.member_add(album=self.album, username=self.viewer.username, role=AlbumMember.Role.VIEWER)
        services.member_add(album=self.album, username=self.contributor.username, role=AlbumMember.Role.CONTRIBUTOR)
        self.contributed = with_thumbnail(PhotoFactory(owner=self.contributor, content=images.jpeg("rocket")))
        services.album_photos_add(album=self.album, photo_ids=[self.contributed.id], by=self.contributor)
        self.contributor_private = with_thumbnail(PhotoFactory(owner=self.contributor, content=images.jpeg("camera")))
        self.stranger_photo = with_thumbnail(
            PhotoFactory(owner=self.stranger, content=images.encode(images.solid((10, 200, 10)), "JPEG"))
        )
