"""bench.faces runs end to end and ends with one JSON line (one small detection size, one repeat: the numbers are
not checked beyond their shape)."""

import pytest

from tests.bench.test_bench_smoke import run_bench

pytestmark = pytest.mark.bench


def test_faces_bench_reports_detection_grouping_and_speed():
    result = run_bench("faces", "--pixels", "307200", "--repeats", "1")
    assert result["bench"] == "faces" and result["descriptor"] == "ResNet"
    measured = result["pixels_307200"]
    assert measured["detection"]["faces"] > 0 and 0 <= measured["detection"]["precision"] <= 1
    assert 0 <= measured["grouping"]["recall"] <= 1 and measured["grouping"]["faces"] > 0
    speed = measured["speed"]
    assert speed["photos_per_s"] > 0 and speed["photos_per_s_one_process"] > 0 and speed["cpu_ms_per_photo"] > 0
    assert speed["ms"]["descriptor"] > 0 and speed["ms"]["descriptor_dlib"] > 0
