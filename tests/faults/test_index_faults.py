"""Fault 7: index files go missing, garbled or truncated under a running site, or a process dies probing a damaged
Annoy forest. Search keeps answering (exactly, over the stored vectors), never recurses, never probes a damaged forest
again, and the worker rebuilds the index at once, with no upload needed."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bench._django import placeholder_photos
from bench.faults import INDEX_FAULTS
from gallery.models import Photo
from search import components, index_versions
from search.ml import ann
from search.models import PhotoEmbedding, SearchIndex
from tests.conftest import ROOT, wait_for
from tests.faults.conftest import assert_every_photo_final, small_photos, upload

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_search_survives_index_faults_and_the_index_is_rebuilt(celery_worker, api, user):
    ids = upload(api, small_photos(12))
    assert_every_photo_final(user, ids)
    current = wait_for(lambda: SearchIndex.objects.filter(owner=user, space="image", size=12).last(), timeout=60)
    for fault, damage in INDEX_FAULTS.items():
        # Loaded a moment ago by this (web) process, then damaged from outside.
        assert api.get(f"/api/search/similar/?photo={ids[0]}&k=3").status_code == 200
        damage(Path(current.path))
        for _ in range(2):  # as loaded, then as a fresh process would load it
            response = api.get(f"/api/search/similar/?photo={ids[0]}&k=3")
            assert response.status_code == 200, (fault, response.content)
            assert len(response.json()["results"]) == 3, fault
            ann._load.cache_clear()
        rebuilt = wait_for(SearchIndex.objects.filter(owner=user, space="image", id__gt=current.id).last, timeout=60)
        assert len(ann.load_index(Path(rebuilt.path))) == len(ids), fault
        current = rebuilt
    assert_every_photo_final(user, ids)


def synthetic_gallery(owner, count: int) -> list[int]:
    """`count` ready photos with stored vectors of the configured model, no files: enough for an Annoy index
    (ann.EXACT_MAX_SIZE) without processing thousands of uploads."""
    name, version = components.model_parts(components.configured_model_key())
    placeholder_photos(owner=owner, count=count)
    ids = sorted(Photo.objects.filter(owner=owner).values_list("id", flat=True))
    rng = np.random.default_rng(0)
    centres = rng.random((20, 1280), dtype=np.float32)
    vectors = np.maximum(centres[rng.integers(0, 20, count)] + rng.normal(0, 0.3, (count, 1280)), 0)
    PhotoEmbedding.objects.bulk_create(
        PhotoEmbedding(photo_id=i, model_name=name, model_version=version, vector=v.astype(np.float32).tobytes())
        for i, v in zip(ids, vectors)
    )
    return ids


def _garble(path: Path) -> None:
    """4 KB of random bytes over the middle of the forest, its size unchanged (a torn write)."""
    forest = path / "index.ann"
    with open(forest, "r+b") as file:
        file.seek(forest.stat().st_size // 2)
        file.write(os.urandom(4096))


def _bit_rot(path: Path) -> None:
    """The same, with the file's time kept too: only its checksum tells (the scrub's job)."""
    forest = path / "index.ann"
    stat = forest.stat()
    _garble(path)
    os.utime(forest, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def _truncate_forest(path: Path) -> None:
    os.truncate(path / "index.ann", 100)


_DIE_PROBING = """
import os
import sys
from pathlib import Path
from search.ml import ann
ann.MMAP_MIN_BYTES = 0  # mapped, as a forest of a million photos is: a smaller one is a private copy
index = ann.load_index(Path(sys.argv[1]))
forest = Path(sys.argv[1]) / "index.ann"
stat = forest.stat()
with open(forest, "r+b") as file:  # bit rot under it, after its load passed the checksums: its tree nodes
    file.seek(stat.st_size // 2)
    file.write(os.urandom(stat.st_size - stat.st_size // 2))
os.utime(forest, ns=(stat.st_atime_ns, stat.st_mtime_ns))
for query in ann.np.random.default_rng(1).random((500, index.dim), dtype=ann.np.float32):
    index.search(query, 10)
"""


def _a_process_dies_probing(path: Path) -> None:
    """Another web process loads the version, its forest is garbled under it, and a probe kills it."""
    child = subprocess.run([sys.executable, "-c", _DIE_PROBING, str(path)], cwd=ROOT, capture_output=True)
    assert child.returncode < 0, child.stderr[-2000:]


FOREST_FAULTS = {
    "garbled forest": _garble,
    "bit rot": _bit_rot,
    "truncated forest": _truncate_forest,
    "crash in a probe": _a_process_dies_probing,
}


@pytest.mark.own_workers
def test_damaged_annoy_forest_never_crashes_a_query_and_is_rebuilt_with_no_upload(start_worker, api, user):
    start_worker(beat=True, SEARCH_INDEX_VERIFY_SECONDS="2")
    ids = synthetic_gallery(user, ann.EXACT_MAX_SIZE + 100)
    index_versions.index_rebuild_schedule(owner_id=user.id, delay=0)
    current = wait_for(lambda: SearchIndex.objects.filter(owner=user, space="image").last(), timeout=180)
    assert json.loads((Path(current.path) / ann.MANIFEST).read_text())["kind"] == "annoy"
    for fault, damage in FOREST_FAULTS.items():
        assert api.get(f"/api/search/similar/?photo={ids[0]}&k=10").status_code == 200  # loaded by this process
        damage(Path(current.path))
        for _ in range(3):
            response = api.get(f"/api/search/similar/?photo={ids[0]}&k=10")
            assert response.status_code == 200, (fault, response.content)
            assert len(response.json()["results"]) == 10, fault
        newer = SearchIndex.objects.filter(owner=user, space="image", id__gt=current.id)
        # Marked bad at once or by the scrub, unless the rebuild the query scheduled was published first: either
        # way no process loads the damaged version again.
        bad = Path(current.path) / ann.BAD
        wait_for(lambda bad=bad, newer=newer: bad.exists() or newer.exists(), timeout=180)
        rebuilt = wait_for(newer.last, timeout=180)
        assert len(ann.load_index(Path(rebuilt.path))) == len(ids), fault
        current = rebuilt
