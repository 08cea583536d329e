"""The people signal: names and person words read as terms, answered from the owner's faces."""

import pytest
from PIL import Image

from gallery import services as gallery_services
from people import ml, services
from people.models import Face, Person
from people.selectors import model_version
from search.signals import SIGNALS, by_name
from search.signals.base import Candidates, Term
from search.signals.people import NAMED, PeopleSignal
from tests.people.conftest import copies, face_in_photo, found, grace, ready_photo  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db
signal = PeopleSignal()


@pytest.fixture
def gallery_of_faces(user, found, face_in_photo):  # noqa: F811
    """Grace Hopper named "Grace Hopper" (five photos) and the astronaut unnamed (five photos)."""
    for name in ("grace", "astronaut"):
        for image, face in found[name]:
            face_in_photo(user, image, face)
    services.faces_cluster(owner_id=user.id)
    grace_person = Face.objects.filter(owner=user).order_by("id").first().person
    services.person_update(person=grace_person, name="Grace Hopper")
    return grace_person


def term(owner, words: str) -> Term:
    reading = signal.read(owner=owner, tokens=words.split())
    return Term(text=words, signal=signal.name, kind=signal.kind, value=reading.value, shown=reading.shown)


def test_registered():
    assert by_name("people") in SIGNALS and by_name("people").selective


def test_reads_a_full_name_before_one_word_of_it(user, gallery_of_faces):
    reading = signal.read(owner=user, tokens=["grace", "hopper", "coffee"])
    assert reading.length == 2 and reading.value == ("persons", (gallery_of_faces.id,))
    assert reading.shown == "Grace Hopper"
    for word in ("grace", "hopper"):
        assert signal.read(owner=user, tokens=[word, "coffee"]).length == 1


def test_reads_person_words_and_nothing_else(user, gallery_of_faces):
    assert signal.read(owner=user, tokens=["people"]).value == ("word", "people")
    assert signal.read(owner=user, tokens=["portrait"]).shown == "a portrait (one large face)"
    assert signal.read(owner=user, tokens=["coffee"]) is None
    assert signal.read(owner=user, tokens=[]) is None


def test_hidden_and_other_users_persons_are_not_read(user, other_user, gallery_of_faces):
    assert signal.read(owner=other_user, tokens=["grace"]) is None
    Person.objects.filter(id=gallery_of_faces.id).update(hidden=True)
    assert signal.read(owner=user, tokens=["grace"]) is None


def test_a_name_answers_the_photos_with_that_person(user, gallery_of_faces):
    answer = signal.answer(owner=user, terms=[term(user, "grace")], within=Candidates(), k=10)
    expected = set(gallery_of_faces.faces.values_list("photo_id", flat=True))
    assert answer.scores == dict.fromkeys(expected, NAMED)


def test_trashed_photos_are_not_answered(user, gallery_of_faces):
    trashed = gallery_of_faces.faces.first().photo_id
    gallery_services.photos_trash(owner=user, photo_ids=[trashed])
    answer = signal.answer(owner=user, terms=[term(user, "grace")], within=Candidates(), k=10)
    assert trashed not in answer.scores and len(answer.scores) == 4


def test_person_words_answer_photos_with_faces(user, gallery_of_faces):
    answer = signal.answer(owner=user, terms=[term(user, "people")], within=Candidates(), k=10)
    assert set(answer.scores) == set(Face.objects.filter(owner=user).values_list("photo_id", flat=True))
    assert len(answer.scores) == 10


def test_a_group_is_three_faces_or_more(user, gallery_of_faces, ready_photo):  # noqa: F811
    parts = [grace(), *copies(grace())[:2]]
    group = Image.new("RGB", (sum(p.width for p in parts), max(p.height for p in parts)))
    left = 0
    for part in parts:
        group.paste(part, (left, 0))
        left += part.width
    photo = ready_photo(user, group, name="group.jpg")
    services._faces_store(photo=photo, found=ml.face_model().find(group), version=model_version())
    assert photo.faces.count() == 3
    answer = signal.answer(owner=user, terms=[term(user, "group")], within=Candidates(), k=10)
    assert set(answer.scores) == {photo.id}


def test_terms_of_the_signal_are_taken_together(user, gallery_of_faces):
    both = signal.answer(owner=user, terms=[term(user, "grace"), term(user, "portrait")], within=Candidates(), k=10)
    grace_photos = set(gallery_of_faces.faces.values_list("photo_id", flat=True))
    assert set(both.scores) <= grace_photos and both.scores
    within = Candidates(ids={next(iter(grace_photos))})
    assert set(signal.answer(owner=user, terms=[term(user, "grace")], within=within, k=10).scores) == within.ids
