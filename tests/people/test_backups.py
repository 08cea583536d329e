"""A backup holds the faces and the names the owner gave, and a restore brings them back (search/backups.py
dumps every app's rows)."""

import shutil

import pytest
from django.conf import settings
from django.core.management import call_command

from people import services
from people.models import Face, Person, PhotoScan

pytestmark = pytest.mark.django_db(transaction=True)


def people_snapshot() -> dict:
    return {
        "persons": sorted(Person.objects.values_list("id", "owner_id", "name", "hidden", "cover_id")),
        "faces": sorted(
            (f.id, f.photo_id, f.person_id, f.assigned_by_owner, bytes(f.descriptor), bytes(f.crop), tuple(f.box))
            for f in Face.objects.all()
        ),
        "scans": sorted(PhotoScan.objects.values_list("photo_id", "model_version", "faces")),
    }


def test_backup_and_restore_keep_faces_and_names(user, found, face_in_photo, tmp_path):
    for image, face in found["grace"][:3]:
        face_in_photo(user, image, face)
    services.faces_cluster(owner_id=user.id)
    person = Person.objects.get()
    services.person_update(person=person, name="Grace Hopper", cover=person.faces.last())
    services.face_assign(face=person.faces.first(), person=None)
    before = people_snapshot()
    archive = tmp_path / "site.tar"
    call_command("backup", str(archive))

    call_command("flush", interactive=False, verbosity=0)
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)
    assert not Face.objects.exists()
    call_command("restore", str(archive))
    assert people_snapshot() == before
    assert Person.objects.get().name == "Grace Hopper"
