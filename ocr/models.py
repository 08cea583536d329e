"""The text read from photos, and each owner's reading settings. Behaviour lives in services.py."""

from django.conf import settings
from django.db import models

from gallery.models import Photo


class PhotoText(models.Model):
    """One text pass over a photo: skipped by the gate (``read`` False) or read. Its words are PhotoWord rows."""

    photo = models.OneToOneField(Photo, on_delete=models.CASCADE, primary_key=True, related_name="text")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read = models.BooleanField()  # False: the gate found no sign of text and the photo was not read
    content = models.TextField(blank=True)  # the words as read, one line per line of text
    engine = models.CharField(max_length=64)  # ocr.core.reader.engine_key(): a new one reads again
    languages = models.CharField(max_length=64)  # "eng", "eng+deu": as the owner chose them at the time
    gate_score = models.FloatField(default=0.0)
    word_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "word_count"])]


class PhotoWord(models.Model):
    """A word read in a photo, with its confidence and box; ``folded`` is the form queries match."""

    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField()  # reading order within the photo; phrases match consecutive ones
    word = models.CharField(max_length=100)
    folded = models.CharField(max_length=100)  # ocr.core.matching.fold(word): lower case, no accents or punctuation
    length = models.PositiveSmallIntegerField()  # len(folded): tolerant matching compares words of close length
    confidence = models.FloatField()  # 0–1
    x = models.PositiveIntegerField()
    y = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.FloatField()  # height / photo height: large words rank first

    class Meta:
        ordering = ["photo", "position"]
        constraints = [models.UniqueConstraint(fields=["photo", "position"], name="unique_word_position")]
        indexes = [models.Index(fields=["owner", "folded"]), models.Index(fields=["owner", "length"])]


class TextSettings(models.Model):
    """An owner's reading settings; an owner without a row reads in English."""

    owner = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="text_settings")
    enabled = models.BooleanField(default=True)
    languages = models.CharField(max_length=64, default="eng")  # "+"-joined Tesseract codes, from those installed
