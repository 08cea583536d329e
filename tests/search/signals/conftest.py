import itertools
from datetime import UTC, datetime

import pytest

from gallery.models import Photo
from tests import images
from tests.factories import PhotoFactory

_shade = itertools.count(1)


@pytest.fixture
def photo_with():
    """A stored photo of ``owner`` (distinct bytes each time) with the given fields set as ingest would."""

    def make(owner, *, taken: str | None = None, **fields) -> Photo:
        n = next(_shade)
        content = images.encode(images.solid((n % 256, n // 256 % 256, 77)), "PNG")
        photo = PhotoFactory(owner=owner, content=content, name=f"p{n}.png")
        if taken:
            fields["taken_at"] = datetime.fromisoformat(taken).replace(tzinfo=UTC)
        Photo.objects.filter(id=photo.id).update(**fields)
        photo.refresh_from_db()
        return photo

    return make
