import pytest

from tests.gallery.sharing_fixtures import World


@pytest.fixture
def world(db):
    """An owner's shared album with a viewer, a contributor and a stranger (tests/gallery/sharing_fixtures.py)."""
    return World()
