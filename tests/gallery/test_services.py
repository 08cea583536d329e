import pytest

from gallery import services
from gallery.models import Photo
from tests.factories import PhotoFactory

pytestmark = pytest.mark.django_db


def test_display_name_drops_directories_and_control_characters():
    assert services.display_name("..\\..\\evil\x00name.jpg") == "evilname.jpg"
    assert services.display_name("") == "unnamed"


def test_bulk_remove_forgets_own_tags_and_remembers_auto_tags_as_rejected(user):
    from gallery.models import PhotoTag
    from tests import images

    first = PhotoFactory(owner=user)
    second = PhotoFactory(owner=user, content=images.jpeg("coffee"))
    services.tag_add(photo=first, name="cup")
    services.tags_suggest(suggestions={second: [("cup", 0.4)]})
    assert services.tags_bulk_remove(owner=user, photo_ids=[first.id, second.id], name="cup") == 2
    assert not PhotoTag.objects.filter(photo=first).exists()
    assert PhotoTag.objects.get(photo=second).state == PhotoTag.State.REJECTED


def test_bulk_reject_leaves_photos_without_the_suggestion_alone(user):
    from gallery.models import PhotoTag
    from tests import images

    suggested = PhotoFactory(owner=user)
    own = PhotoFactory(owner=user, content=images.jpeg("coffee"))
    services.tags_suggest(suggestions={suggested: [("cup", 0.4)]})
    services.tag_add(photo=own, name="cup")
    assert services.tags_bulk_decide(owner=user, photo_ids=[suggested.id, own.id], name="cup", accept=False) == 1
    assert PhotoTag.objects.get(photo=suggested).state == PhotoTag.State.REJECTED
    assert PhotoTag.objects.get(photo=own).state == PhotoTag.State.ACCEPTED
