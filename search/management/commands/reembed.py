"""Embed photos that lack a vector from the configured model (workers also do this when they start)."""

from django.core.management.base import BaseCommand

from search import ingest
from search.tasks import reembed_task


class Command(BaseCommand):
    help = "Queue re-embedding of ready photos missing a vector from SEARCH_MODEL; --now embeds in this process."

    def add_arguments(self, parser):
        parser.add_argument("--user-id", type=int)
        parser.add_argument("--now", action="store_true", help="embed here instead of queueing for the worker")

    def handle(self, *args, user_id=None, now=False, **options):
        missing = ingest.photos_missing_vectors(owner_id=user_id)
        for start in range(0, len(missing), 32):
            batch = missing[start : start + 32]
            ingest.photos_reembed(photo_ids=batch) if now else reembed_task.delay(batch)
        self.stdout.write(f"{'Embedded' if now else 'Queued'} {len(missing)} photo(s).")
