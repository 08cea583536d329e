"""Queue every failed photo (optionally one user's) for another attempt."""

from django.core.management.base import BaseCommand

from gallery import services
from gallery.models import Photo


class Command(BaseCommand):
    help = "Retry failed photos."

    def add_arguments(self, parser):
        parser.add_argument("--user", help="only this username's photos")

    def handle(self, *args, user: str | None = None, **options):
        failed = Photo.objects.filter(status=Photo.Status.FAILED)
        if user:
            failed = failed.filter(owner__username=user)
        count = 0
        for photo in failed.iterator():
            services.photo_retry(photo=photo)
            count += 1
        self.stdout.write(f"Queued {count} failed photo(s) for another attempt.")
