"""Fault 7: index files go missing, garbled or truncated under a running site. Search keeps answering (exactly,
over the stored vectors), never recurses, never dies of SIGBUS, and the worker rebuilds the index at once."""

from pathlib import Path

import pytest

from bench.faults import INDEX_FAULTS
from search.ml import ann
from search.models import SearchIndex
from tests.conftest import wait_for
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
