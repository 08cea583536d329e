import io
from pathlib import Path

import matplotlib
import pytest
from django.core.files.base import ContentFile
from PIL import Image, ImageEnhance, ImageOps

from bench.faces import OPENCV as OPENCV_DATA
from gallery.models import Photo
from gallery.services import photo_create
from tests.images import sample


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


@pytest.fixture(scope="session")
def found():
    """The faces the real model finds in Grace Hopper and the astronaut and in copies of each (computed once)."""
    from people import ml

    model = ml.face_model()
    images = {"grace": [grace(), *copies(grace())], "astronaut": [astronaut(), *copies(astronaut())]}
    return {name: [(image, model.find(image)[0]) for image in group] for name, group in images.items()}


@pytest.fixture
def face_in_photo(ready_photo):
    """A ready photo of the image with its face stored as the faces pass stores it (no clustering yet)."""
    from people import services
    from people.selectors import model_version

    def make(owner, image, face, *, version=None):
        photo = ready_photo(owner, image)
        services._faces_store(photo=photo, found=[face], version=version or model_version())
        return photo.faces.get()

    return make
