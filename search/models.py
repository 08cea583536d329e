"""What search persists: one feature vector per photo and model, and which index files are current.

Vectors live in the database, not in per-user files: they are written in the same transaction as the photo's
status, deleted with the photo by cascade, and readable by every web and worker process. Index files are
derived caches that a rebuild can always recreate from these rows.
"""

import numpy as np
from django.conf import settings
from django.db import models


class PhotoEmbedding(models.Model):
    photo = models.ForeignKey("gallery.Photo", on_delete=models.CASCADE, related_name="embeddings")
    model_name = models.CharField(max_length=32)
    model_version = models.CharField(max_length=16)
    vector = models.BinaryField()  # float32 penultimate-layer activations; logits are derived from them
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["photo", "model_name", "model_version"], name="one_vector_per_model")
        ]

    def as_array(self) -> np.ndarray:
        return np.frombuffer(bytes(self.vector), dtype=np.float32)


class SearchIndex(models.Model):
    """One published index version for an owner and space; the newest row of a (owner, space, key) is current.

    ``max_embedding_id`` is the newest embedding the build saw: anything newer is searched exactly as a delta,
    so a photo is findable the moment its vector is stored, before any rebuild.
    """

    class Space(models.TextChoices):
        IMAGE = "image"
        TEXT = "text"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="search_indexes")
    space = models.CharField(max_length=8, choices=Space.choices)
    key = models.CharField(max_length=64)  # model name-version, plus the text mapping for text indexes
    path = models.CharField(max_length=500)
    size = models.PositiveIntegerField()
    max_embedding_id = models.BigIntegerField()
    params = models.JSONField(default=dict)
    built_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "space", "key", "-id"])]


class TextProjection(models.Model):
    """A per-user features → word-space model trained on the user's own tags, with the evidence for using it."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="text_projections")
    model_key = models.CharField(max_length=32)
    path = models.CharField(max_length=500, blank=True)  # empty when zero-shot won and nothing was kept
    trained_at = models.DateTimeField(auto_now_add=True)
    n_photos = models.PositiveIntegerField()
    n_tags = models.PositiveIntegerField()
    zeroshot_score = models.FloatField()  # mean average precision on the held-out split (semantic.tag_retrieval_score)
    trained_score = models.FloatField()
    active = models.BooleanField()  # trained_score > zeroshot_score: this user's text search uses the projection

    class Meta:
        ordering = ["-id"]


class NearDuplicate(models.Model):
    """Two of an owner's photos whose vectors are near enough to be copies of one scene (cosine ≥
    DUPLICATES_THRESHOLD). Stored as pairs, smaller photo id first; a group is a connected component of them.
    Deleting either photo deletes the pair."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="near_duplicates")
    photo = models.ForeignKey("gallery.Photo", on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey("gallery.Photo", on_delete=models.CASCADE, related_name="+")
    similarity = models.FloatField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["photo", "other"], name="one_pair_per_photos")]
        indexes = [models.Index(fields=["owner"])]
