"""Recheck whole galleries for near-duplicates (e.g. after changing DUPLICATES_THRESHOLD); uploads are checked
incrementally by the pipeline anyway."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from search.duplicates import duplicates_check_all


class Command(BaseCommand):
    help = "Recompute the near-duplicate pairs of one user's gallery, or of every user's."

    def add_arguments(self, parser):
        parser.add_argument("--user", help="username (default: every user)")

    def handle(self, *args, user=None, **options):
        users = get_user_model().objects.order_by("id")
        if user:
            users = users.filter(username=user)
            if not users.exists():
                raise CommandError(f"No user “{user}”.")
        for owner in users:
            pairs = duplicates_check_all(owner_id=owner.id)
            self.stdout.write(f"{owner.get_username()}: {pairs} near-duplicate pair{'s' if pairs != 1 else ''}")
