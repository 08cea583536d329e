"""Derived images: the thumbnail is small, upright, and carries nothing of the original's metadata."""

import io

from PIL import Image

from gallery.images import open_for_derivatives, thumbnail_jpeg
from tests import images


def test_thumbnail_fits_the_size_and_keeps_the_aspect_ratio():
    thumb = Image.open(io.BytesIO(thumbnail_jpeg(images.sample("coffee"), size=400)))  # 600×400

    assert thumb.format == "JPEG" and thumb.size == (400, 267)


def test_thumbnail_of_a_photo_with_gps_has_no_exif():
    original = images.gps_jpeg()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the fixture does carry a position

    thumb = Image.open(io.BytesIO(thumbnail_jpeg(open_for_derivatives(io.BytesIO(original), model_side=224), size=400)))

    assert not thumb.getexif() and "exif" not in thumb.info and "icc_profile" not in thumb.info


def test_thumbnail_looks_like_the_photo():
    photo = images.sample("astronaut")
    thumb = Image.open(io.BytesIO(thumbnail_jpeg(photo, size=128))).convert("RGB")
    reference = photo.resize(thumb.size, Image.Resampling.LANCZOS)

    diff = [abs(a - b) for a, b in zip(thumb.tobytes(), reference.tobytes())]
    assert sum(diff) / len(diff) < 6  # mean error in 8-bit levels: an area average, not a blur or a shift
