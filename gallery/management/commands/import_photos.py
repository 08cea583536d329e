"""Import a folder of photos for one user, through the same validator and services as uploads."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from gallery import services

IGNORED = {".DS_Store", "Thumbs.db", "desktop.ini"}


class Command(BaseCommand):
    help = "Import every file under DIR (recursively) into USER's gallery; prints a summary of what happened."

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)
        parser.add_argument("--user", required=True, help="username of the owner")

    def handle(self, *args, directory: Path, user: str, **options):
        try:
            owner = get_user_model().objects.get(username=user)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user named “{user}”.") from None
        if not directory.is_dir():
            raise CommandError(f"{directory} is not a folder.")
        paths = sorted(p for p in directory.rglob("*") if p.is_file() and p.name not in IGNORED)
        created, duplicates, rejected = [], [], []
        for path in tqdm(paths, desc="Importing", unit="file", file=self.stderr._out):
            name = str(path.relative_to(directory))
            try:
                with path.open("rb") as file, transaction.atomic():
                    photo = services.photo_create(owner=owner, file=file, name=path.name, rate_limited=False)
                created.append(photo.id)
            except services.DuplicatePhoto as dup:
                duplicates.append((name, dup.photo.id))
            except ValidationError as error:
                rejected.append((name, " ".join(error.messages)))
            except OSError as error:
                rejected.append((name, f"could not be read: {error.strerror or error}"))
        services.photos_announce(photo_ids=created)

        self.stdout.write(f"Imported {len(created)}, duplicates {len(duplicates)}, rejected {len(rejected)}.")
        for name, photo_id in duplicates:
            self.stdout.write(f"  duplicate: {name} (already photo {photo_id})")
        for name, error in rejected:
            self.stdout.write(f"  rejected: {name}: {error}")
