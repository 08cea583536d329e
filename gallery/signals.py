"""What the gallery announces. It knows nothing of who listens: search connects its receivers in
SearchConfig.ready(), so the dependency points one way (search → gallery)."""

from django.dispatch import Signal

# photo_ids: list[int]. Sent after commit for photos that now await processing (uploads, imports, retries).
photos_stored = Signal()
# photo: Photo. Sent inside the deleting transaction, before the row goes.
photo_deleted = Signal()
# owner_id: int. The owner's accepted tags changed.
tags_changed = Signal()
