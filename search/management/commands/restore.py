"""Restore a backup into a freshly migrated site and rebuild its indexes from the stored vectors."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from search.backups import RestoreError, site_restore


class Command(BaseCommand):
    help = "Restore a backup made by `manage.py backup` into an empty, migrated database; no photo is re-embedded."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            summary = site_restore(source=file)
        except RestoreError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Restored {summary.users} user(s), {summary.photos} photo(s) and {summary.files} file(s); indexes rebuilt."
        )
        reports = (
            ("missing (named by a row, not in the archive)", summary.missing),
            ("orphan (in the archive, named by no row; not restored)", summary.orphans),
        )
        for kind, names in reports:
            if names:
                more = " …" if len(names) > 20 else ""
                self.stderr.write(f"{len(names)} {kind} file(s): {', '.join(names[:20])}{more}")
