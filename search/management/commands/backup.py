"""Back up the database and media into one archive (index files are rebuilt on restore)."""

from pathlib import Path

from django.core.management.base import BaseCommand

from search.backups import site_backup


class Command(BaseCommand):
    help = "Write a backup archive: database rows (vectors included) and media. FILE ending in .gz is compressed."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        summary = site_backup(target=file)
        self.stdout.write(
            f"Backed up {summary.users} user(s), {summary.photos} photo(s) and {summary.files} file(s) "
            f"to {file} ({summary.bytes / 1e6:.1f} MB)."
        )
        if summary.missing:  # photos deleted while the backup ran: their rows are in, their files were gone
            self.stderr.write(f"{len(summary.missing)} file(s) named by the snapshot were gone: {summary.missing[:20]}")
