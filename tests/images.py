"""Small real test images, made on the fly (scikit-image's sample photos, or Pillow for odd formats)."""

import functools
import io
import struct
import zlib

import numpy as np
from PIL import Image
from skimage import data as samples

SAMPLES = {
    "chelsea": samples.chelsea,
    "coffee": samples.coffee,
    "astronaut": samples.astronaut,
    "rocket": samples.rocket,
    "camera": samples.camera,
    "grass": samples.grass,
    "gravel": samples.gravel,
}


def sample(name: str) -> Image.Image:
    return Image.fromarray(SAMPLES[name]()).convert("RGB")


def encode(image: Image.Image, fmt: str = "JPEG", **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def jpeg(name: str = "chelsea", **options) -> bytes:
    return encode(sample(name), "JPEG", **{"quality": 90, **options})


def solid(color=(200, 30, 30), size=(64, 48)) -> Image.Image:
    return Image.new("RGB", size, color)


def png_bomb(side: int = 30000) -> bytes:
    """A valid grayscale PNG of side×side pixels that compresses to a few kB."""
    raw = zlib.compress(b"".join(b"\x00" + bytes(side) for _ in range(side)), 9)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def exif_rotated_jpeg() -> bytes:
    """A landscape-stored JPEG whose EXIF says "rotate 90°": displayed upright it is portrait, top half red."""
    stored = Image.new("RGB", (80, 40), (0, 0, 255))
    stored.paste((255, 0, 0), (0, 0, 40, 40))  # left half red → after a 90° CW turn (orientation 6), top is red
    exif = Image.Exif()
    exif[0x0112] = 6
    return encode(stored, "JPEG", quality=95, exif=exif.tobytes())


def cmyk_jpeg() -> bytes:
    return encode(sample("coffee").convert("CMYK"), "JPEG", quality=90)


def png16() -> bytes:
    ramp = np.tile(np.linspace(0, 65535, 64), (32, 1)).astype(np.uint16)  # dark left → light right
    return encode(Image.fromarray(ramp), "PNG")  # mode I;16


def animated_gif() -> bytes:
    frames = [solid((255, 0, 0)), solid((0, 255, 0)), solid((0, 0, 255))]
    return encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


def variants(name: str, count: int) -> list[bytes]:
    """Distinct JPEGs of one sample photo (crops, flips, scales): the same subject, different bytes."""
    base = sample(name)
    out = []
    for i in range(count):
        w, h = base.size
        box = (i * 7 % 40, i * 11 % 30, w - (i * 13 % 40), h - (i * 5 % 30))
        image = base.crop(box).resize((int(w * (0.6 + 0.05 * (i % 5))), int(h * (0.6 + 0.05 * (i % 5)))))
        if i % 2:
            image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        out.append(encode(image, "JPEG", quality=85 + i % 10))
    return out


def gps_jpeg(name: str = "chelsea") -> bytes:
    """A photo whose EXIF says where it was taken (GPS IFD) and by which camera, upright but with an orientation tag."""
    exif = Image.Exif()
    exif[0x0112] = 1  # orientation: upright
    exif[0x010F] = "SomeCamera"  # make
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (48.0, 51.0, 24.0)  # latitude ref, latitude
    gps[3], gps[4] = "E", (2.0, 21.0, 3.0)  # longitude ref, longitude
    return encode(sample(name), "JPEG", quality=90, exif=exif.tobytes())


def with_exif(
    name: str = "chelsea",
    *,
    taken: str | None = None,
    gps: tuple[float, float] | None = None,
    image: Image.Image | None = None,
    **options,
) -> bytes:
    """A JPEG carrying EXIF DateTimeOriginal ("2023:07:14 10:00:00") and/or a GPS position, like a phone's."""
    exif = Image.Exif()
    if taken:
        exif.get_ifd(0x8769)[36867] = taken
    if gps:
        lat, lon = gps

        def dms(value: float) -> tuple[float, float, float]:
            value = abs(value)
            degrees, minutes = int(value), int(value * 60) % 60
            return float(degrees), float(minutes), round(value * 3600 - degrees * 3600 - minutes * 60, 4)

        exif[0x8825] = {1: "N" if lat >= 0 else "S", 2: dms(lat), 3: "E" if lon >= 0 else "W", 4: dms(lon)}
    return encode(image or sample(name), "JPEG", exif=exif.tobytes(), **{"quality": 90, **options})


@functools.cache
def heic(name: str = "chelsea") -> bytes:
    """An iPhone-style HEIC of a sample photo, rotated by its EXIF orientation (x265 is slow to start: made once)."""
    from pillow_heif import register_heif_opener

    register_heif_opener()
    exif = Image.Exif()
    exif[0x0112] = 6  # stored landscape, shown portrait
    return encode(sample(name), "HEIF", quality=80, exif=exif.tobytes())
