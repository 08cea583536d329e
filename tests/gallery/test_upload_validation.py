"""Every bad upload gets a precise 4xx and leaves nothing behind; odd-but-valid images are handled right."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from gallery.models import Photo
from tests import images


def upload(api, name: str, content: bytes):
    return api.post("/api/photos/", {"files": [SimpleUploadedFile(name, content)]}, format="multipart")


def stored_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def assert_rejected(response, settings, name: str, *fragments: str):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["created"] == [] and body["duplicates"] == []
    [rejected] = body["rejected"]
    assert rejected["name"] == name
    for fragment in fragments:
        assert fragment in rejected["error"], rejected["error"]
    assert Photo.objects.count() == 0
    assert stored_files(settings) == []


def test_empty_file_is_rejected(api, settings):
    assert_rejected(upload(api, "empty.jpg", b""), settings, "empty.jpg", "empty")


def test_text_named_jpg_is_rejected(api, settings):
    response = upload(api, "notes.jpg", b"just some words, not a picture\n" * 10)
    assert_rejected(response, settings, "notes.jpg", "not an image")


def test_truncated_jpeg_is_rejected(api, settings):
    whole = images.jpeg("astronaut")
    assert_rejected(upload(api, "cut.jpg", whole[: len(whole) // 2]), settings, "cut.jpg", "corrupt or truncated")


def test_truncated_gif_is_rejected(api, settings):
    whole = images.encode(images.sample("chelsea"), "GIF")
    assert_rejected(upload(api, "cut.gif", whole[: len(whole) // 2]), settings, "cut.gif", "corrupt or truncated")


def test_animated_gif_cut_in_a_later_frame_is_rejected(api, settings):
    """Ensure a cut past the first frame (the one processing decodes) is still found at the door."""
    frames = [images.sample(name).resize((200, 150)) for name in ("chelsea", "coffee", "astronaut")]
    whole = images.encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    cut = whole[: len(whole) * 9 // 10]
    assert_rejected(upload(api, "cut.gif", cut), settings, "cut.gif", "corrupt or truncated")


def test_gif_cut_between_frames_is_rejected(api, settings):
    """Ensure a GIF without its trailer byte is refused: cut just after a frame, it would pass as a shorter GIF."""
    whole = images.animated_gif()
    assert whole.endswith(b"\x3b")
    assert_rejected(upload(api, "cut.gif", whole[:-1]), settings, "cut.gif", "corrupt or truncated")


def test_png_header_followed_by_html_is_rejected(api, settings):
    content = b"\x89PNG\r\n\x1a\n" + b"<html><script>alert(1)</script></html>" * 20
    assert_rejected(upload(api, "evil.png", content), settings, "evil.png")


def test_decompression_bomb_is_rejected(api, settings):
    bomb = images.png_bomb(30000)
    assert len(bomb) < 2_000_000
    assert_rejected(upload(api, "bomb.png", bomb), settings, "bomb.png", "decompression bomb")


def test_image_over_our_pixel_limit_is_rejected(api, settings):
    settings.UPLOAD_MAX_PIXELS = 4_000_000
    response = upload(api, "wide.png", images.png_bomb(3000))
    assert_rejected(response, settings, "wide.png", "3000×3000 pixels (9 MP)", "the limit is 4 MP")


def test_pillow_bomb_limit_is_an_error_even_under_our_pixel_limit(api, settings, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    content = images.encode(images.solid(size=(100, 100)), "PNG")
    assert_rejected(upload(api, "big.png", content), settings, "big.png", "decompression bomb")


def test_file_over_byte_limit_is_rejected(api, settings):
    settings.UPLOAD_MAX_BYTES = 10_000
    content = images.jpeg("astronaut")
    assert len(content) > 10_000
    assert_rejected(upload(api, "large.jpg", content), settings, "large.jpg", "the limit is 9.8\xa0KB")


@pytest.mark.parametrize(
    ("name", "content", "label"),
    [
        ("scan.tiff", images.encode(images.solid(), "TIFF"), "TIFF files are not supported"),
        (
            "logo.svg",
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>',
            "SVG files are not supported",
        ),
        (
            "figure.eps",
            b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n",
            "EPS/PostScript files are not supported",
        ),
    ],
)
def test_unsupported_formats_are_named(api, settings, name, content, label):
    assert_rejected(upload(api, name, content), settings, name, label, "JPEG, PNG, WebP, GIF, BMP or HEIC")


def test_cmyk_jpeg_becomes_rgb_thumbnail(api, on_commit):
    with on_commit():
        response = upload(api, "cmyk.jpg", images.cmyk_jpeg())
    assert response.status_code == 201
    photo = Photo.objects.get()
    assert photo.status == Photo.Status.READY
    thumb = Image.open(photo.thumbnail.open("rb"))
    assert thumb.mode == "RGB"
    # Coffee is brown-ish: red channel dominates blue; an inverted CMYK conversion would flip that.
    r, _g, b = thumb.resize((1, 1)).getpixel((0, 0))
    assert r > b


def test_16_bit_png_keeps_its_tones(api, on_commit):
    with on_commit():
        assert upload(api, "deep.png", images.png16()).status_code == 201
    photo = Photo.objects.get()
    assert photo.status == Photo.Status.READY
    thumb = Image.open(photo.thumbnail.open("rb")).convert("L")
    left, right = thumb.getpixel((1, thumb.height // 2)), thumb.getpixel((thumb.width - 2, thumb.height // 2))
    assert left < 60 and right > 190  # a dark-to-light ramp, not clipped to white


def test_animated_gif_uses_first_frame(api, on_commit):
    with on_commit():
        assert upload(api, "anim.gif", images.animated_gif()).status_code == 201
    photo = Photo.objects.get()
    assert photo.format == "gif"
    r, g, b = Image.open(photo.thumbnail.open("rb")).convert("RGB").getpixel((5, 5))
    assert r > 200 and g < 60 and b < 60


def test_exif_rotated_jpeg_thumbnail_is_upright(api, on_commit):
    with on_commit():
        assert upload(api, "rotated.jpg", images.exif_rotated_jpeg()).status_code == 201
    photo = Photo.objects.get()
    thumb = Image.open(photo.thumbnail.open("rb")).convert("RGB")
    assert thumb.height > thumb.width
    top, bottom = thumb.getpixel((thumb.width // 2, 5)), thumb.getpixel((thumb.width // 2, thumb.height - 5))
    assert top[0] > 200 and top[2] < 60
    assert bottom[2] > 200 and bottom[0] < 60


def test_heic_is_accepted_and_stored_as_heic(api, on_commit):
    with on_commit():
        response = upload(api, "IMG_0001.HEIC", images.heic())
    assert response.status_code == 201, response.content
    photo = Photo.objects.get()
    assert (photo.format, photo.width, photo.height) == ("heic", 300, 451)  # upright: EXIF rotation applied
    assert photo.status == Photo.Status.READY
    assert Image.open(photo.thumbnail.open("rb")).size == (266, 400)


def test_truncated_heic_is_rejected(api, settings):
    whole = images.heic()
    assert_rejected(upload(api, "cut.heic", whole[: len(whole) // 2]), settings, "cut.heic", "corrupt or truncated")


def test_heic_over_the_byte_limit_is_rejected(api, settings):
    settings.UPLOAD_MAX_BYTES = 1000
    assert_rejected(upload(api, "big.heic", images.heic()), settings, "big.heic", "the limit is")


def test_valid_image_with_wrong_extension_is_accepted(api):
    response = upload(api, "actually-a-png.gif", images.encode(images.solid(), "PNG"))
    assert response.status_code == 201
    assert Photo.objects.get().format == "png"


def test_traversal_and_unicode_name_is_stored_safely(api, settings):
    response = upload(api, "../../../etc/çà_фото 📷.jpg", images.jpeg("coffee"))
    assert response.status_code == 201
    photo = Photo.objects.get()
    assert photo.original_name == "çà_фото 📷.jpg"
    path = photo.original.path
    assert str(settings.MEDIA_ROOT) in path and ".." not in photo.original.name
    assert photo.original.name.isascii() and photo.original.name.endswith(".jpg")


def test_fifty_files_in_one_request(api):
    files = [
        SimpleUploadedFile(f"img{i}.png", images.encode(images.solid((i * 5, 100, 200 - i), (32, 32)), "PNG"))
        for i in range(50)
    ]
    response = api.post("/api/photos/", {"files": files}, format="multipart")
    assert response.status_code == 201
    assert len(response.json()["created"]) == 50
    assert Photo.objects.count() == 50


def test_duplicate_upload_is_reported_not_stored(api, settings):
    content = images.jpeg("coffee")
    first = upload(api, "a.jpg", content).json()["created"][0]
    response = upload(api, "b.jpg", content)
    assert response.status_code == 200
    assert response.json()["duplicates"] == [{"name": "b.jpg", "photo_id": first["id"]}]
    assert Photo.objects.count() == 1
    assert len([p for p in stored_files(settings) if "originals" in str(p)]) == 1


def test_mixed_batch_reports_each_file(api):
    files = [
        SimpleUploadedFile("good.jpg", images.jpeg("chelsea")),
        SimpleUploadedFile("bad.jpg", b"nope"),
    ]
    response = api.post("/api/photos/", {"files": files}, format="multipart")
    assert response.status_code == 201
    body = response.json()
    assert [p["original_name"] for p in body["created"]] == ["good.jpg"]
    assert [r["name"] for r in body["rejected"]] == ["bad.jpg"]


def test_same_bytes_for_two_owners_are_two_photos(api, other_api):
    content = images.jpeg("chelsea")
    assert upload(api, "a.jpg", content).status_code == 201
    assert upload(other_api, "a.jpg", content).status_code == 201
    assert Photo.objects.count() == 2
