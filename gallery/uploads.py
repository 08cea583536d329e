"""Upload handling before validation: an oversized file must not fill the disk on its way to being rejected."""

from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler


class CappedUploadHandler(TemporaryFileUploadHandler):
    """Spools large uploads to a temporary file, but keeps no more than UPLOAD_MAX_BYTES (+1) of any one file.

    The file still reports its real size (Django counts every byte received), so the shared validator rejects it
    with "The file is 3 GB; the limit is 25 MB" while the disk only ever held the limit.
    """

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.stored = 0

    def receive_data_chunk(self, raw_data, start):
        room = settings.UPLOAD_MAX_BYTES + 1 - self.stored
        if room > 0:
            self.file.write(raw_data[:room])
            self.stored += min(room, len(raw_data))
        return None
