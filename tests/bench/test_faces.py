"""bench.faces runs end to end and ends with one JSON line (one detection side, no speed: the numbers are not
checked beyond their shape)."""

import pytest

from tests.bench.test_bench_smoke import run_bench

pytestmark = pytest.mark.bench


def test_faces_bench_reports_detection_and_grouping():
    result = run_bench("faces", "--sides", "640", "--skip-speed")
    assert result["bench"] == "faces"
    measured = result["side_640"]
    assert measured["detection"]["faces"] > 0 and 0 <= measured["detection"]["precision"] <= 1
    assert 0 <= measured["grouping"]["recall"] <= 1 and measured["grouping"]["faces"] > 0
