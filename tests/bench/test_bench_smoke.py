"""The benchmarks still run end to end and end with one JSON line (tiny sizes: the numbers are not checked)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.bench

ROOT = Path(__file__).resolve().parents[2]


def run_bench(name: str, *args: str, env: dict[str, str] | None = None) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_ingest_bench_reports_throughput_and_split_per_size():
    result = run_bench("ingest", "--models", "lite0", "--small", "2", "--large", "2", "--repeats", "1")

    assert result["bench"] == "ingest"
    for size in ("small", "large"):
        measured = result[f"lite0_{size}"]
        assert measured["images"] == 2 and measured["images_per_s"] > 0
        assert set(measured["ms_per_image"]) == {"decode", "thumbnail", "preprocess", "forward", "store", "bookkeeping"}


def test_latency_bench_reports_upload_and_query_percentiles_with_and_without_the_faces_worker():
    result = run_bench("latency", "--uploads", "2", "--gallery", "2", "--queries", "2", "--pause", "0.2", "--faces")

    assert result["bench"] == "latency"
    assert result["upload_to_ready"]["n"] == 2 and result["upload_to_ready"]["not_first_for_its_own_image"] == 0
    for kind in ("similar_upload", "text_cat", "similar_photo"):
        assert result[kind]["p50_ms"] > 0
    faces = result["faces"]
    assert faces["with_faces_worker"]["n"] == 2 and faces["without_again"]["n"] == 2
    # Timed once the faces worker had scanned some of the photos waiting for it (2 in the gallery, 3 uploads).
    assert "text" not in result
    assert faces["with_faces_worker"]["faces_done_before"] > 0 and faces["p50_ratio_with_to_without"] > 0


def test_latency_bench_reports_upload_to_ready_with_and_without_the_text_worker():
    result = run_bench("latency", "--uploads", "2", "--gallery", "2", "--queries", "2", "--pause", "0.2", "--text")

    text = result["text"]
    assert text["with_text_worker"]["n"] == 2 and text["without_again"]["n"] == 2
    # Timed once the text worker had read (or skipped) some of the photos waiting for it.
    assert text["with_text_worker"]["text_done_before"] > 0 and text["p50_ratio_with_to_without"] > 0
    assert "faces" not in result


def test_duplicates_bench_reports_capped_joins_and_planted_group_scores():
    from search.ml.near_pairs import PAIRS_PER_PHOTO

    result = run_bench("duplicates", "--size", "3000", "--repeats", "1")

    assert result["pairs_per_photo"] == PAIRS_PER_PHOTO and result["by_pairs_per_photo"]["uncapped"]["recall"] > 0
    speed = result["speed"]
    assert speed["no_pairs"]["self_join_s"] > 0
    planted = speed["planted"]
    assert planted["photos_in_groups"] >= 0.25 * speed["size"] and planted["groups"] > 0
    assert 0 < planted["pairs"] <= PAIRS_PER_PHOTO * speed["size"]
    assert set(planted["ceiling_every_true_pair"]) == {"precision", "recall"} and planted["recall"] > 0
    assert set(result["targets"]) == {"precision_at_recall_0.9", "100k_in_60s"}


def test_filters_bench_runs_on_a_fashion_mnist_feature_cache(tmp_path):
    # A small stand-in for the cached Fashion-MNIST features, so the branch that reads them runs here too.
    rng = np.random.default_rng(0)
    np.save(tmp_path / "fmnist-lite0-features.npy", rng.random((600, 1280), dtype=np.float32))
    np.save(tmp_path / "fmnist-labels.npy", np.arange(600) % 10)
    np.save(tmp_path / "fmnist-split.npy", (np.arange(600) >= 500).astype(np.int64))

    args = ("--size", "400", "--queries", "3", "--repeats", "1")
    result = run_bench("filters", *args, env={"BENCH_CACHE": str(tmp_path)})

    assert result["source"].startswith("fmnist-lite0")
    assert {row["filter"] for row in result["cases"]} >= {"none", "near 10 km"}
    assert [row["term"] for row in result["terms"]] == ["paris", "2001", "2000", "summer", "july", "christmas"]
    assert all(row["found"] > 0 and row["p50_ms"] > 0 and row["over_unfiltered"] > 0 for row in result["terms"])


def test_words_bench_reports_mrr_by_kind():
    result = run_bench("words", "--photos", "6", "--repeats", "1", "--via", "signals")

    assert result["bench"] == "words" and result["photos"] == 6 and result["queries"] > 0
    assert 0 <= result["mrr"] <= 1 and "mrr_places" in result and "mrr_dates" in result


def test_album_search_bench_reports_the_ratio_between_gallery_sizes():
    result = run_bench("album_search", "--sizes", "20,200", "--album", "5", "--repeats", "2")
    assert result["bench"] == "album_search"
    assert set(result["ratio_large_to_small"]) == {"words", "photo"}
    assert result["same_results_count"] is True


def test_ocr_bench_reports_gate_search_and_cost():
    result = run_bench("ocr", "--rendered", "3", "--repeats", "1")

    assert result["bench"] == "ocr" and result["text_photos"] == 9  # 6 real text photos + 3 rendered
    assert result["no_text_photos"] >= result["text_photos"]
    assert 0 <= result["gate_recall"] <= 1 and 0 <= result["gate_skip_share"] <= 1
    assert 0 <= result["gate_recall_ge20px"] <= 1 and 6 <= result["text_photos_ge20px"] <= 9  # the 6 real ones
    missed = round((1 - result["gate_recall"]) * result["text_photos"])
    assert 0 <= result["gate_skipped_legible"] <= missed and 0 <= result["near_miss_share"] <= 1
    assert result["cost_per_photo_at_20pct_text"] > 0 and result["backfill_100k_hours_one_worker"] > 0
