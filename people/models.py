"""Faces found in photos, the persons they are grouped into, and each owner's face settings.

Everything is scoped to the owner and dies with the photo (CASCADE): a face's crop is stored in its row, so no
file outlives it. Behaviour lives in services.py.
"""

from django.conf import settings
from django.db import models

from gallery.models import Photo


class Person(models.Model):
    """A group of one owner's faces: made by clustering, named (or not) by the owner."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="persons")
    name = models.CharField(max_length=100, blank=True)  # "" until the owner names them
    hidden = models.BooleanField(default=False)  # left out of the People page and search, faces kept
    cover = models.ForeignKey("Face", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["owner", "name"])]

    def __str__(self) -> str:
        return self.name or f"person {self.pk}"


class Face(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="faces")
    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="faces")
    # Fractions of the upright photo (0..1), so any displayed size can draw them.
    x = models.FloatField()
    y = models.FloatField()
    w = models.FloatField()
    h = models.FloatField()
    score = models.FloatField()  # the detector's confidence
    descriptor = models.BinaryField()  # float32[128], little-endian (people.ml.descriptor_bytes)
    crop = models.BinaryField()  # a small JPEG around the face, served only to the owner
    model_version = models.CharField(max_length=64)
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="faces")
    # The owner put this face where it is (a person, or none: "not a person I know"); clustering leaves it there.
    assigned_by_owner = models.BooleanField(default=False)

    class Meta:
        ordering = ["photo_id", "id"]
        indexes = [
            models.Index(fields=["owner", "person"]),
            models.Index(fields=["owner", "assigned_by_owner", "person"]),
        ]

    @property
    def box(self) -> list[float]:
        return [self.x, self.y, self.w, self.h]


class PhotoScan(models.Model):
    """That a photo went through the faces pass with a model version (found faces or not): what the backfill and
    its progress count."""

    photo = models.OneToOneField(Photo, on_delete=models.CASCADE, related_name="face_scan")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    model_version = models.CharField(max_length=64)
    faces = models.PositiveSmallIntegerField(default=0)
    scanned_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "model_version"])]


class FaceSettings(models.Model):
    """Per account: whether faces are found and grouped at all (on unless the owner turned it off)."""

    owner = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="face_settings")
    enabled = models.BooleanField(default=True)
