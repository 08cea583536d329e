import os

from django.core.files.uploadedfile import SimpleUploadedFile

from gallery.models import Photo
from gallery.uploads import CappedUploadHandler


def test_oversized_upload_keeps_only_the_limit_on_disk(settings):
    settings.UPLOAD_MAX_BYTES = 1000
    handler = CappedUploadHandler()
    handler.new_file("files", "huge.jpg", "image/jpeg", 10_000)
    for start in range(0, 10_000, 512):
        handler.receive_data_chunk(b"x" * 512, start)
    uploaded = handler.file_complete(10_240)
    assert uploaded.size == 10_240  # the real size, for the validator's message
    assert os.path.getsize(uploaded.temporary_file_path()) == 1001


def test_oversized_spooled_upload_is_rejected_with_its_real_size(api, settings):
    settings.UPLOAD_MAX_BYTES = 1_000_000
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 100_000  # spool to disk through the capped handler
    response = api.post("/api/photos/", {"files": [SimpleUploadedFile("big.jpg", b"\xff\xd8" + b"x" * 3_000_000)]})
    assert response.status_code == 400
    assert response.json()["rejected"][0]["error"] == "The file is 2.9\xa0MB; the limit is 976.6\xa0KB."
    assert Photo.objects.count() == 0
