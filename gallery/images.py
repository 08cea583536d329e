"""Decoding for derived images: upright, RGB, and no bigger than needed."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import IO

import numpy as np
from django.conf import settings
from PIL import Image, ImageOps


def open_rgb(file: IO[bytes] | str, *, long_side: int = 0, short_side: int = 0) -> Image.Image:
    """Fully decode the first frame as upright 8-bit RGB.

    JPEGs are decoded at the smallest DCT scale (1/2, 1/4, 1/8 via ``draft``) that still leaves the longer side at
    least ``long_side`` and the shorter side at least ``short_side`` pixels: a 12 MP photo decodes at 1/8 for a
    400-px thumbnail and a 224-px model input, several times faster than in full.
    """
    with Image.open(file) as image:
        if image.format == "JPEG" and (long_side or short_side):
            width, height = image.size
            scale = min(max(width, height) / max(long_side, 1), min(width, height) / max(short_side, 1))
            if scale >= 2:
                image.draft("RGB", (math.ceil(width / scale), math.ceil(height / scale)))
        image.seek(0)  # animated GIF/WebP: the first frame stands for the photo
        image.load()
        upright = ImageOps.exif_transpose(image)
        return to_rgb(upright)


def open_for_derivatives(file: IO[bytes] | str, *, model_side: int) -> Image.Image:
    """Decoded just large enough for everything derived from a photo: its thumbnail and the model's input
    (``model_side``, which the caller gets from the image model)."""
    return open_rgb(file, long_side=settings.THUMBNAIL_SIZE, short_side=model_side)


def to_rgb(image: Image.Image) -> Image.Image:
    """Convert any decoded mode to RGB without the usual surprises (white 16-bit, black transparency)."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # Pillow's convert() clips these to 0..255 instead of scaling, turning most 16-bit images white.
        pixels = np.asarray(image, dtype=np.float64)
        peak = 65535.0 if image.mode.startswith("I;16") or pixels.max() > 255 else 255.0
        pixels = np.clip(pixels * (255.0 / peak), 0, 255).astype(np.uint8)
        return Image.fromarray(pixels, "L").convert("RGB")
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))  # transparent areas show as white, not black
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode != "RGB":
        return image.convert("RGB")  # CMYK, YCbCr, L, 1: Pillow's conversions are correct for these
    return image


def thumbnail_jpeg(image: Image.Image, *, size: int) -> bytes:
    """A baseline JPEG that fits in size×size, with no metadata (no EXIF, so no GPS position, no ICC profile).

    It runs for every upload, so speed matters more than the last decibel: the image arrives already decoded
    at the smallest JPEG scale that covers the thumbnail, so the rest is at most a 2× reduction, where an area
    average (BOX) is anti-aliased and far cheaper than Lanczos; larger images are first reduced by an integer
    factor (``reducing_gap=1``). Huffman optimisation and progressive encoding cost more time than the few
    percent of bytes they save on a file this small. bench.ingest measures both halves.
    """
    thumb = image.copy()
    thumb.thumbnail((size, size), Image.Resampling.BOX, reducing_gap=1.0)
    thumb.info.clear()  # nothing of the original's metadata may reach a derived file
    out = io.BytesIO()
    thumb.save(out, "JPEG", quality=85)
    return out.getvalue()


SHARPNESS_SIDE = 256


def sharpness(image: Image.Image) -> float:
    """Variance of the Laplacian over the variance of the grey levels, at a fixed size: higher is sharper.

    A common scale makes copies of one scene comparable (a downscaled copy would otherwise look sharper), and
    dividing by the contrast makes it blind to brightness and contrast edits: the raw Laplacian variance grows
    with the square of a contrast boost, so a brightened re-save looked sharper than its original. It only ranks
    copies of the same photo, which is what picking the best of a group of near-duplicates needs.
    """
    grey = np.asarray(
        image.convert("L").resize((SHARPNESS_SIDE, SHARPNESS_SIDE), Image.Resampling.BILINEAR), dtype=np.float32
    )
    laplacian = grey[:-2, 1:-1] + grey[2:, 1:-1] + grey[1:-1, :-2] + grey[1:-1, 2:] - 4 * grey[1:-1, 1:-1]
    spread = float(grey.var())
    return round(float(laplacian.var()) / spread, 4) if spread > 1e-6 else 0.0


@dataclass(frozen=True)
class Encoding:
    """What a file's header tells about how close it is to a camera's original."""

    has_exif: bool
    quality: int  # estimated JPEG quality (libjpeg scale, 1-100); 100 for lossless formats


# libjpeg's standard luminance table (ITU T.81, K.1), which quality settings scale.
_STD_LUMINANCE = np.array(
    [16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
     14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
     49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99],
    dtype=np.float64,
)  # fmt: skip


def encoding(file: IO[bytes] | str) -> Encoding:
    """Read only the header: EXIF present, and the JPEG quality its luminance table implies (a re-save of a
    photo at a lower quality has a coarser table than the camera's)."""
    with Image.open(file) as image:
        has_exif = bool(image.info.get("exif")) or bool(image.getexif())
        tables = getattr(image, "quantization", None)
        if image.format != "JPEG" or not tables:
            return Encoding(has_exif=has_exif, quality=100)
        table = np.asarray(tables[0], dtype=np.float64)
        # Order does not matter for the sum, so zigzag and natural order give the same estimate.
        scale = 100.0 * table.sum() / _STD_LUMINANCE.sum()
        quality = (200.0 - scale) / 2.0 if scale <= 100 else 5000.0 / scale
        return Encoding(has_exif=has_exif, quality=round(min(100.0, max(1.0, quality))))
