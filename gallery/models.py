"""Photos, tags and the link between them. Behaviour lives in services.py, not here."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone


def original_path(photo: "Photo", filename: str) -> str:
    # The client's file name is kept for display only; on disk a generated name avoids traversal and collisions.
    return f"originals/{photo.owner_id}/{uuid.uuid4().hex}.{photo.format.lower()}"


def thumbnail_path(photo: "Photo", filename: str) -> str:
    return f"thumbnails/{photo.owner_id}/{uuid.uuid4().hex}.jpg"


class Photo(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        PROCESSING = "processing"
        READY = "ready"
        FAILED = "failed"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="photos")
    original = models.FileField(upload_to=original_path, max_length=255)
    original_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    size_bytes = models.PositiveBigIntegerField()
    format = models.CharField(max_length=8)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    taken_at = models.DateTimeField(null=True, blank=True)  # EXIF DateTimeOriginal; queries fall back to uploaded_at
    uploaded_at = models.DateTimeField(auto_now_add=True)
    # When it was taken, as every date filter and the timeline read it; stored so that an index can serve them.
    shot_at = models.GeneratedField(
        expression=Coalesce("taken_at", "uploaded_at"), output_field=models.DateTimeField(), db_persist=True
    )
    latitude = models.FloatField(null=True, blank=True)  # EXIF GPS, decimal degrees
    longitude = models.FloatField(null=True, blank=True)
    # Where that is in words, as search reverse-geocodes it: "Leuven", "Flanders", "Provincie Vlaams-Brabant",
    # "Belgium", "BE"; blank without GPS or far from any town.
    place_city = models.CharField(max_length=200, blank=True)
    place_region = models.CharField(max_length=200, blank=True)
    place_county = models.CharField(max_length=200, blank=True)
    place_country = models.CharField(max_length=200, blank=True)
    place_country_code = models.CharField(max_length=2, blank=True)
    # Main colour names → share of the (subject-weighted) pixels, as search reads them from the pixels (key order
    # is not kept on PostgreSQL); null until read. monochrome: black-and-white.
    colours = models.JSONField(null=True, blank=True)
    monochrome = models.BooleanField(null=True, blank=True)
    # Which version of search's descriptions (place, colours) the photo has; older ones are redone in the background.
    described_version = models.PositiveSmallIntegerField(default=0)
    sharpness = models.FloatField(null=True, blank=True)  # images.sharpness of the decoded photo; picks the best copy
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)  # processing runs started (bounded by PHOTO_MAX_ATTEMPTS)
    # When the status last changed: the reconciler re-queues photos pending or processing for too long.
    status_changed_at = models.DateTimeField(default=timezone.now)
    # The worker process holding a processing photo: while it is alive the photo is its, however long it takes.
    claimed_by = models.CharField(max_length=200, blank=True)
    thumbnail = models.FileField(upload_to=thumbnail_path, max_length=255, blank=True)
    tags = models.ManyToManyField("Tag", through="PhotoTag", related_name="photos")
    favourite = models.BooleanField(default=False)
    # Hidden from the timeline (not from albums or search) without being deleted.
    archived = models.BooleanField(default=False)
    # Set when the owner deletes the photo: it is hidden everywhere but the trash, and deleted for good
    # TRASH_KEEP_DAYS later (gallery.tasks.trash_purge_task) or when the owner empties the trash.
    trashed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["owner", "sha256"], name="unique_photo_per_owner")]
        indexes = [
            models.Index(fields=["owner", "status"]),
            models.Index(fields=["owner", "taken_at"]),
            models.Index(fields=["owner", "latitude"]),
            models.Index(fields=["status", "status_changed_at"]),
            models.Index(fields=["owner", "trashed_at"]),
            models.Index(fields=["owner", "trashed_at", "shot_at"]),  # date filters and the timeline
            models.Index(fields=["owner", "place_country", "place_region", "place_city"]),  # places and their counts
            models.Index(fields=["described_version"]),  # the background pass finds photos to describe
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.pk})"


class Tag(models.Model):
    """A word. Shared between users: a tag name reveals nothing; which photos carry it is per-owner."""

    name = models.CharField(max_length=64, unique=True)

    def __str__(self) -> str:
        return self.name


class PhotoTag(models.Model):
    class Source(models.TextChoices):
        USER = "user"  # typed by the owner
        AUTO = "auto"  # suggested by the model; `state` says whether the owner accepted or rejected it (it stays AUTO)

    class State(models.TextChoices):
        SUGGESTED = "suggested"
        ACCEPTED = "accepted"
        REJECTED = "rejected"

    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="photo_tags")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="photo_tags")
    source = models.CharField(max_length=8, choices=Source.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACCEPTED)
    confidence = models.FloatField(default=1.0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-confidence", "tag__name"]
        constraints = [models.UniqueConstraint(fields=["photo", "tag"], name="unique_tag_per_photo")]


class Album(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="albums")
    name = models.CharField(max_length=100)
    # The photo on the album's tile; None shows the most recently added one.
    cover = models.ForeignKey(Photo, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    photos = models.ManyToManyField(Photo, through="AlbumPhoto", related_name="albums")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class AlbumPhoto(models.Model):
    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="album_photos")
    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="album_photos")
    added_at = models.DateTimeField(auto_now_add=True)
    # Who put it there: the album's owner, or a contributor (who may take out what they added). None: before sharing.
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["album", "photo"], name="unique_photo_per_album")]


class AlbumMember(models.Model):
    """Another account the owner shared an album with. Viewers look; contributors also add their own photos."""

    class Role(models.TextChoices):
        VIEWER = "viewer"
        CONTRIBUTOR = "contributor"

    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="album_memberships")
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.VIEWER)
    added_at = models.DateTimeField(auto_now_add=True)
    # The member's notice "alice shared Holiday with you" shows until they open the album.
    seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [models.UniqueConstraint(fields=["album", "user"], name="unique_member_per_album")]


class AlbumLink(models.Model):
    """A link that shows an album to anyone who has it. Only the token's SHA-256 is stored (as for API tokens),
    so the database and its backups hold no usable link; the token is shown once, when the link is made."""

    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="links")
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)  # the token's first characters, to tell links apart in a list
    label = models.CharField(max_length=100, blank=True)
    password = models.CharField(max_length=128, blank=True)  # Django's password hash; blank: no password
    expires_at = models.DateTimeField(null=True, blank=True)
    allow_download = models.BooleanField(default=False)  # originals; off: thumbnails and the viewer's preview only
    show_location = models.BooleanField(default=False)  # off: no coordinates, and originals lose their EXIF GPS
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    view_count = models.PositiveIntegerField(default=0)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.album_id})"
