"""The faces pass, clustering and the owner's choices, through the services (tasks run eagerly here; the real
worker is in test_pipeline.py)."""

from concurrent.futures.process import BrokenProcessPool

import pytest
from django.test import override_settings

from gallery import services as gallery_services
from gallery.models import Photo
from people import services, tasks
from people.models import Face, FaceSettings, Person, PhotoScan
from people.selectors import model_version, photos_unscanned
from tests.images import sample
from tests.people.conftest import astronaut, copies, grace

pytestmark = pytest.mark.django_db


def test_scan_finds_faces_and_copies_of_one_face_become_one_person(user, ready_photo, faces_on):
    graces = [ready_photo(user, image) for image in [grace(), *copies(grace())[:3]]]
    other = ready_photo(user, astronaut())
    cat = ready_photo(user, sample("chelsea"))
    assert services.photos_scan(photo_ids=[p.id for p in [*graces, other, cat]]) == 6
    person = Person.objects.get(owner=user)
    assert set(person.faces.values_list("photo_id", flat=True)) == {p.id for p in graces}
    assert Face.objects.get(photo=other).person is None  # one face of her: waits for more
    assert PhotoScan.objects.get(photo=cat).faces == 0 and not cat.faces.exists()


def test_scanning_twice_changes_nothing(user, ready_photo, faces_on):
    photo = ready_photo(user, grace())
    services.photos_scan(photo_ids=[photo.id])
    first = list(Face.objects.values_list("id", flat=True))
    assert services.photos_scan(photo_ids=[photo.id]) == 0
    assert list(Face.objects.values_list("id", flat=True)) == first


def test_pending_photos_are_not_scanned(user, ready_photo):
    photo = ready_photo(user, grace())
    Photo.objects.filter(id=photo.id).update(status=Photo.Status.PROCESSING)
    assert services.photos_scan(photo_ids=[photo.id]) == 0 and not PhotoScan.objects.exists()


def test_faces_wait_until_enough_form_a_person_then_a_new_one_joins_it(user, found, face_in_photo, settings):
    settings.FACES_MIN_GROUP = 3
    for image, face in found["grace"][:2]:
        face_in_photo(user, image, face)
        services.faces_cluster(owner_id=user.id)
    assert not Person.objects.exists() and Face.objects.filter(person=None).count() == 2  # two wait
    face_in_photo(user, *found["grace"][2])
    services.faces_cluster(owner_id=user.id)  # the third makes a group of three
    person = Person.objects.get()
    assert person.faces.count() == 3
    face_in_photo(user, *found["grace"][3])
    services.faces_cluster(owner_id=user.id)
    assert person.faces.count() == 4 and Person.objects.count() == 1


def _two_persons(user, found, face_in_photo) -> tuple[Person, Person]:
    for name in ("grace", "astronaut"):
        for image, face in found[name]:
            face_in_photo(user, image, face)
    services.faces_cluster(owner_id=user.id)
    grace_person = Face.objects.filter(photo__original_name="face.jpg").first().person
    persons = list(Person.objects.filter(owner=user))
    assert len(persons) == 2
    return grace_person, next(p for p in persons if p != grace_person)


def test_names_and_an_owner_moved_face_survive_a_recluster(user, found, face_in_photo):
    grace_person, astro = _two_persons(user, found, face_in_photo)
    services.person_update(person=grace_person, name="Grace")
    moved = astro.faces.first()
    services.face_assign(face=moved, person=grace_person)  # the owner says so, even if the model disagrees
    services.people_recluster(owner=user)
    grace_person.refresh_from_db()
    moved.refresh_from_db()
    assert grace_person.name == "Grace" and moved.person == grace_person and moved.assigned_by_owner
    assert grace_person.faces.count() == 6  # her five, and the one the owner moved
    assert Person.objects.filter(owner=user).exclude(id=grace_person.id).get().faces.count() == 4


def test_a_face_set_aside_stays_nobodys_through_clustering(user, found, face_in_photo):
    grace_person, _ = _two_persons(user, found, face_in_photo)
    face = grace_person.faces.first()
    services.face_assign(face=face, person=None)
    services.faces_cluster(owner_id=user.id)
    services.people_recluster(owner=user)
    face.refresh_from_db()
    assert face.person is None and face.assigned_by_owner


def test_two_named_persons_are_never_merged_by_clustering(user, found, face_in_photo, settings):
    grace_person, astro = _two_persons(user, found, face_in_photo)
    services.person_update(person=grace_person, name="Grace")
    services.person_update(person=astro, name="Eileen")
    settings.FACES_SAME_PERSON = 2.0  # everything is "close": still, faces only ever join one person
    services.people_recluster(owner=user)
    assert set(Person.objects.filter(owner=user).values_list("name", flat=True)) == {"Grace", "Eileen"}
    assert grace_person.faces.count() == 5 and astro.faces.count() == 5


def test_merge_moves_every_face_and_takes_the_name(user, found, face_in_photo):
    grace_person, astro = _two_persons(user, found, face_in_photo)
    services.person_update(person=grace_person, name="Grace")
    services.person_merge(person=grace_person, into=astro)
    astro.refresh_from_db()
    assert astro.name == "Grace" and astro.faces.count() == 10
    assert not Person.objects.filter(id=grace_person.id).exists()
    services.people_recluster(owner=user)
    assert Person.objects.get(owner=user).faces.count() == 10  # the owner's merge holds


def test_moving_the_last_face_away_deletes_an_unnamed_person(user, found, face_in_photo, settings):
    settings.FACES_MIN_GROUP = 1
    image, face = found["grace"][0]
    stored = face_in_photo(user, image, face)
    services.faces_cluster(owner_id=user.id)
    person = Person.objects.get()
    services.face_assign(face=stored, person=None)
    assert not Person.objects.filter(id=person.id).exists()


def test_hidden_person_stays_hidden_through_a_recluster(user, found, face_in_photo):
    grace_person, _ = _two_persons(user, found, face_in_photo)
    services.person_update(person=grace_person, hidden=True)
    services.people_recluster(owner=user)
    grace_person.refresh_from_db()
    assert grace_person.hidden and grace_person.faces.count() == 5


def test_a_new_model_version_scans_again_and_keeps_the_owners_choice(user, ready_photo, faces_on):
    photo = ready_photo(user, grace())
    services.photos_scan(photo_ids=[photo.id])
    person = Person.objects.create(owner=user, name="Grace")
    services.face_assign(face=photo.faces.get(), person=person)
    with override_settings(FACES_DETECT_PIXELS=800 * 600):
        assert services.faces_backfill_step(owner_id=user.id) == 0
        face = photo.faces.get()
        assert face.model_version == model_version() and face.model_version.endswith(":480000px:0.3")
    assert face.person == person and face.assigned_by_owner


def test_deleting_a_photo_for_good_purges_its_faces(user, found, face_in_photo):
    face = face_in_photo(user, *found["grace"][0])
    photo = face.photo
    gallery_services.photos_trash(owner=user, photo_ids=[photo.id])
    assert Face.objects.filter(id=face.id).exists()  # the trash is undoable: faces stay
    gallery_services.trash_empty(owner=user)
    assert not Face.objects.filter(id=face.id).exists() and not PhotoScan.objects.filter(photo_id=photo.id).exists()


def test_turning_faces_off_deletes_everything_and_on_again_backfills(user, ready_photo, faces_on, on_commit):
    photos = [ready_photo(user, image) for image in [grace(), *copies(grace())[:2]]]
    services.photos_scan(photo_ids=[p.id for p in photos])
    assert Person.objects.filter(owner=user).exists()
    services.faces_enable(owner=user, enabled=False)
    assert not Face.objects.filter(owner=user).exists() and not Person.objects.filter(owner=user).exists()
    assert not PhotoScan.objects.filter(owner=user).exists()
    assert services.photos_scan(photo_ids=[p.id for p in photos]) == 0  # off: nothing is found
    with on_commit():
        services.faces_enable(owner=user, enabled=True)  # eager: the backfill runs at the commit
    assert FaceSettings.objects.get(owner=user).enabled
    assert Face.objects.filter(owner=user).count() == 3 and Person.objects.filter(owner=user).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_photo_deleted_while_its_faces_are_found_leaves_no_face_and_the_rest_go_on(
    user, ready_photo, faces_on, monkeypatch
):
    victim, survivor = ready_photo(user, grace()), ready_photo(user, astronaut())
    real_image = services._photo_image

    def read_then_delete(photo):
        image = real_image(photo)
        if photo.id == victim.id:
            gallery_services.photo_delete(photo=Photo.objects.get(id=victim.id))
        return image

    monkeypatch.setattr(services, "_photo_image", read_then_delete)
    services.photos_scan(photo_ids=[victim.id, survivor.id])
    assert not Face.objects.filter(photo_id=victim.id).exists()
    assert not PhotoScan.objects.filter(photo_id=victim.id).exists()
    assert Face.objects.filter(photo=survivor).count() == 1 and PhotoScan.objects.filter(photo=survivor).exists()


def test_an_unreadable_original_counts_as_scanned_without_faces(user, ready_photo, faces_on):
    photo = ready_photo(user, grace())
    photo.original.storage.delete(photo.original.name)
    assert services.photos_scan(photo_ids=[photo.id]) == 1
    assert PhotoScan.objects.get(photo=photo).faces == 0


def test_turning_faces_off_while_a_scan_runs_stores_nothing(user, ready_photo, faces_on, monkeypatch):
    photo = ready_photo(user, grace())
    real_image = services._photo_image

    def read_then_opt_out(read_photo):
        image = real_image(read_photo)
        services.faces_enable(owner=user, enabled=False)
        return image

    monkeypatch.setattr(services, "_photo_image", read_then_opt_out)
    services.photos_scan(photo_ids=[photo.id])
    assert not Face.objects.filter(owner=user).exists() and not PhotoScan.objects.filter(owner=user).exists()


def test_the_periodic_backfill_scans_every_enabled_owners_unscanned_photos(
    user, other_user, ready_photo, faces_on, on_commit
):
    mine, theirs = ready_photo(user, grace()), ready_photo(other_user, grace())
    services.faces_enable(owner=other_user, enabled=False)
    with on_commit():
        assert services.faces_backfill_all() == 1
    assert PhotoScan.objects.filter(photo=mine).exists() and not PhotoScan.objects.filter(photo=theirs).exists()
    with on_commit():
        assert services.faces_backfill_all() == 0  # nothing left to scan


def test_no_backfill_while_the_faces_pass_is_off(user, ready_photo, settings):
    settings.FACES_PASS = False
    ready_photo(user, grace())
    assert services.faces_backfill_all() == 0


def test_a_broker_failure_while_queueing_the_faces_pass_is_not_the_pipelines_failure(
    user, ready_photo, faces_on, on_commit, monkeypatch
):
    def broker_down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(tasks.faces_scan_task, "delay", broker_down)
    photo = ready_photo(user, grace())
    with on_commit():
        services.photos_faces_queue(photo_ids=[photo.id])  # logs, does not raise
    assert not PhotoScan.objects.exists()
    monkeypatch.undo()
    with on_commit():
        services.faces_backfill_all()  # the periodic backfill catches up
    assert PhotoScan.objects.filter(photo=photo).exists()


def test_a_long_backfill_groups_every_few_links_and_at_its_end(user, ready_photo, faces_on, monkeypatch, settings):
    monkeypatch.setattr(services, "BACKFILL_STEP", 1)
    monkeypatch.setattr(services, "CLUSTER_EVERY_STEPS", 2)
    settings.FACES_MIN_GROUP = 1  # any face grouped makes a person: whether a link grouped shows
    for image in [grace(), *copies(grace())[:2]]:
        ready_photo(user, image)
    assert services.faces_backfill_step(owner_id=user.id, step=0) == 1
    assert Face.objects.filter(owner=user).count() == 1 and not Person.objects.exists()  # link 0: not grouped
    assert services.faces_backfill_step(owner_id=user.id, step=1) == 1  # link 1 groups
    assert Person.objects.get(owner=user).faces.count() == 2
    assert services.faces_backfill_step(owner_id=user.id, step=2) == 0  # the end groups
    assert Person.objects.get(owner=user).faces.count() == 3


def test_a_face_process_that_dies_leaves_the_photos_unscanned_for_the_backfill(
    user, ready_photo, faces_on, monkeypatch
):
    photo = ready_photo(user, grace())

    class DeadPool:
        def find(self, images, *, pixels):
            list(images)
            raise BrokenProcessPool("a face process was killed")

    monkeypatch.setattr(services, "_face_pool", lambda processes: DeadPool())
    with pytest.raises(BrokenProcessPool):
        services.photos_scan(photo_ids=[photo.id])
    assert not PhotoScan.objects.filter(photo=photo).exists() and not Face.objects.filter(photo=photo).exists()
    assert list(photos_unscanned(owner_id=user.id)) == [photo]
    monkeypatch.undo()
    assert services.photos_scan(photo_ids=[photo.id]) == 1 and photo.faces.count() == 1
