import io
from pathlib import Path

import matplotlib
import pytest
from django.core.files.base import ContentFile
from PIL import Image, ImageEnhance, ImageOps

from gallery.models import Photo
from gallery.services import photo_create
from tests.images import sample

OPENCV_DATA = Path("/usr/share/doc/opencv-doc/examples/data")


def grace() -> Image.Image:
    """matplotlib's sample portrait of Grace Hopper: one face."""
    return Image.open(Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg").convert("RGB")


def astronaut() -> Image.Image:
    """scikit-image's astronaut (Eileen Collins): one face."""
    return sample("astronaut")


def messi() -> Image.Image:
    """OpenCV's messi5.jpg: one small face."""
    return Image.open(OPENCV_DATA / "messi5.jpg").convert("RGB")


def copies(image: Image.Image) -> list[Image.Image]:
    """Different files of one face: mirrored, cropped, scaled, brightened."""
    width, height = image.size
    return [
        ImageOps.mirror(image),
        image.crop((width // 10, height // 12, width, height)),
        image.resize((width * 3 // 4, height * 3 // 4)),
        ImageEnhance.Brightness(image).enhance(1.25),
    ]


def jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


@pytest.fixture
def ready_photo():
    """Store an image as one of the owner's photos and mark it ready (as the pipeline would have)."""

    def make(owner, image: Image.Image, name: str = "face.jpg") -> Photo:
        photo = photo_create(owner=owner, file=ContentFile(jpeg(image), name=name), rate_limited=False)
        Photo.objects.filter(id=photo.id).update(status=Photo.Status.READY)
        photo.refresh_from_db()
        return photo

    return make


@pytest.fixture
def faces_on(settings):
    settings.FACES_PASS = True
