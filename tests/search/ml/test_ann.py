import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from search.ml import ann
from search.ml.ann import (
    CONDITIONED_LEVELS,
    PLAIN_LEVELS,
    AnnoyIndex,
    ExactIndex,
    IndexCorrupt,
    IndexGone,
    build_index,
    exact_search,
    load_index,
    remove_stale,
    versions,
)

SMALL_ANNOY = {"kind": "annoy", "components": 16, "n_trees": 10, "calibration_queries": 30}


def clustered(n: int, dim: int = 32, *, seed: int = 0) -> np.ndarray:
    """Non-negative, low-rank-plus-noise vectors around a few centres, like CNN features (pure noise has no
    neighbourhoods). The space is fixed; `seed` only picks the points, so queries share the corpus' space."""
    rng = np.random.default_rng(seed)
    mixing = np.random.default_rng(100).random((8, dim))
    centres = np.random.default_rng(101).random((8, 8)) * 3
    latent = centres[rng.integers(0, 8, n)] + rng.normal(0, 0.6, (n, 8))
    return np.maximum(latent @ mixing + rng.normal(0, 0.1, (n, dim)), 0).astype(np.float32)


def brute_force(vectors: np.ndarray, query: np.ndarray, k: int, weights: np.ndarray | None = None) -> list[int]:
    w = np.ones(vectors.shape[1]) if weights is None else weights
    x, q = vectors * w, query * w
    scores = x @ q / (np.linalg.norm(x, axis=1) * np.linalg.norm(q))
    return np.argsort(-scores, kind="stable")[:k].tolist()


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def built(directory: Path, vectors: np.ndarray, params: dict | None = None):
    path = build_index(ids=np.arange(len(vectors)), vectors=vectors, directory=directory, name="p", params=params)
    return load_index(path)


@pytest.fixture(scope="module")
def small_annoy(tmp_path_factory):
    """One Annoy build over clustered(3000), shared by the tests that only query it (each build is a child process)."""
    return built(tmp_path_factory.mktemp("annoy"), clustered(3000), SMALL_ANNOY)


def recall(index, vectors, queries, k, weights=None) -> float:
    hits = 0
    for i, query in enumerate(queries):
        w = None if weights is None else weights[i]
        found = {id_ for id_, _ in index.search(query, k, weights=w)}
        hits += len(found & set(brute_force(vectors, query, k, w)))
    return hits / (k * len(queries))


def test_exact_round_trip_returns_true_neighbours(tmp_path):
    vectors = clustered(500)
    index = built(tmp_path, vectors)
    query = clustered(1, seed=1)[0]
    found = index.search(query, 10)
    assert isinstance(index, ExactIndex)
    assert [id_ for id_, _ in found] == brute_force(vectors, query, 10)
    assert found[0][1] == pytest.approx(cosine(vectors[found[0][0]], query), abs=1e-5)


def test_ids_are_caller_ids_not_positions(tmp_path):
    vectors = clustered(50)
    ids = np.arange(50) * 7 + 1000
    index = load_index(build_index(ids=ids, vectors=vectors, directory=tmp_path, name="photos"))
    assert index.search(vectors[3], 1)[0][0] == 1021


def test_annoy_recall_is_at_least_0_9(small_annoy):
    vectors = clustered(3000)
    index = small_annoy
    assert isinstance(index, AnnoyIndex)
    assert recall(index, vectors, clustered(30, seed=1), 10) >= 0.9


def test_annoy_conditioned_recall_is_at_least_0_9(small_annoy):
    vectors = clustered(3000)
    index = small_annoy
    weights = np.maximum(np.random.default_rng(2).normal(0, 1, (30, 32)), 0)
    assert recall(index, vectors, clustered(30, seed=1), 10, weights) >= 0.9


@pytest.mark.parametrize("params", [{"kind": "exact"}, SMALL_ANNOY])
def test_excluded_ids_are_never_returned(tmp_path, params):
    vectors = clustered(1000)
    index = built(tmp_path, vectors, params)
    query = vectors[0]
    excluded = {id_ for id_, _ in index.search(query, 20)}
    found = index.search(query, 20, exclude=excluded)
    assert len(found) == 20
    assert not excluded & {id_ for id_, _ in found}


def test_conditioned_search_ranks_by_exact_conditioned_cosine(tmp_path):
    vectors = clustered(400)
    weights = np.maximum(np.random.default_rng(3).normal(0, 1, 32), 0).astype(np.float32)
    query = clustered(1, seed=4)[0]
    index = built(tmp_path, vectors)
    found = index.search(query, 15, weights=weights)
    assert [id_ for id_, _ in found] == brute_force(vectors, query, 15, weights)
    assert found[0][1] == pytest.approx(cosine(vectors[found[0][0]] * weights, query * weights), abs=1e-5)


@pytest.mark.parametrize("weighted", [False, True])
def test_scores_at_positions_are_the_exact_cosines_of_the_stored_rows(small_annoy, weighted):
    """Ensure scores_at (the exact path of a filtered search) gives, on the uint8 rows as they are, the cosine of
    the rows they decode to, for a plain and a class-conditioned query."""
    weights = np.maximum(np.random.default_rng(3).normal(0, 1, 32), 0).astype(np.float32) if weighted else None
    query = clustered(1, seed=4)[0]
    positions = np.array([5, 17, 2999])
    found = small_annoy.scores_at(positions, query, weights=weights)
    w = np.ones(32, np.float32) if weights is None else weights
    decoded = small_annoy.vectors[positions]
    expected = {int(small_annoy.ids[p]): cosine(row * w, query * w) for p, row in zip(positions, decoded)}
    assert found.keys() == expected.keys()
    assert all(found[i] == pytest.approx(expected[i], abs=1e-5) for i in expected)
    assert small_annoy.scores_at(positions, np.zeros(32, np.float32)) == {}


def test_exact_search_treats_raw_rows_by_cosine():
    """Ensure scale does not matter: a delta scan gets raw, unnormalised feature rows."""
    vectors = clustered(200)
    scales = np.random.default_rng(5).uniform(0.1, 10, (200, 1)).astype(np.float32)
    query = clustered(1, seed=6)[0]
    found = exact_search(np.arange(200), vectors * scales, query, 10)
    assert [id_ for id_, _ in found] == brute_force(vectors, query, 10)


@pytest.mark.parametrize("params", [{"kind": "exact"}, SMALL_ANNOY])
def test_k_larger_than_size_returns_everything(tmp_path, params):
    index = built(tmp_path, clustered(30), params)
    found = index.search(clustered(1, seed=1)[0], 100)
    assert sorted(id_ for id_, _ in found) == list(range(30))


@pytest.mark.parametrize("params", [{"kind": "exact"}, SMALL_ANNOY])
def test_empty_index_returns_nothing(tmp_path, params):
    empty = np.zeros((0, 32), np.float32)
    index = built(tmp_path, empty, params)
    assert len(index) == 0
    assert index.search(np.ones(32, np.float32), 10) == []


def test_load_is_cached_per_path(tmp_path):
    path = build_index(ids=np.arange(10), vectors=clustered(10), directory=tmp_path, name="p")
    assert load_index(path) is load_index(path)


def test_failed_build_publishes_nothing(tmp_path):
    with pytest.raises(KeyError):
        build_index(ids=np.arange(10), vectors=clustered(10), directory=tmp_path, name="p", params={"kind": "nope"})
    assert list(tmp_path.iterdir()) == []


def test_remove_stale_keeps_newest_two(tmp_path):
    published = [build_index(ids=np.arange(5), vectors=clustered(5), directory=tmp_path, name="p") for _ in range(4)]
    other = build_index(ids=np.arange(5), vectors=clustered(5), directory=tmp_path, name="words")
    removed = remove_stale(tmp_path, "p", keep=2)
    assert removed == published[:2]
    assert versions(tmp_path, "p") == published[2:]
    assert other.exists()


def test_remove_stale_sweeps_day_old_abandoned_builds(tmp_path):
    build_index(ids=np.arange(5), vectors=clustered(5), directory=tmp_path, name="p")
    abandoned, fresh = tmp_path / ".tmp-abandoned", tmp_path / ".tmp-in-progress"
    abandoned.mkdir()
    fresh.mkdir()
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(abandoned, (two_days_ago, two_days_ago))
    remove_stale(tmp_path, "p")
    assert not abandoned.exists()
    assert fresh.exists()


def test_removed_version_raises_index_gone(tmp_path):
    old = build_index(ids=np.arange(5), vectors=clustered(5), directory=tmp_path, name="p")
    newest = build_index(ids=np.arange(5), vectors=clustered(5), directory=tmp_path, name="p")
    remove_stale(tmp_path, "p", keep=1)
    with pytest.raises(IndexGone):
        load_index(old)
    assert versions(tmp_path, "p") == [newest]


def _load_newest(directory: Path):
    """As a reader does: if the newest version is collected between listing and loading, a newer one exists."""
    while True:
        try:
            return load_index(versions(directory, "p")[-1])
        except IndexGone:
            continue


def _query_latest_until_stopped(directory: Path, stop, errors, seen) -> None:
    query = clustered(1, seed=9)[0]
    paths = set()
    while not stop.is_set():
        try:
            index = _load_newest(directory)
            found = index.search(query, 5, weights=np.ones(32, np.float32))
            assert len(found) == 5 and all(0 <= id_ < 300 for id_, _ in found), found
            paths.add(index.path)
        except Exception as exc:
            errors.put(repr(exc))
    seen.value = len(paths)


def test_index_swap_while_another_process_queries_never_fails_a_query(tmp_path):
    build_index(ids=np.arange(300), vectors=clustered(300), directory=tmp_path, name="p", params=SMALL_ANNOY)
    context = multiprocessing.get_context("spawn")
    stop, errors, seen = context.Event(), context.Queue(), context.Value("i", 0)
    reader = context.Process(target=_query_latest_until_stopped, args=(tmp_path, stop, errors, seen))
    reader.start()
    try:
        time.sleep(2)  # spawn start-up: let the reader get going before swapping under it
        # Many quick versions and the harshest collection (keep=1) make the reader often resolve a version that is
        # deleted before it loads it, and query indexes whose files are gone: both must be survived.
        for version in range(200):
            params = SMALL_ANNOY if version % 50 == 0 else {"kind": "exact"}
            vectors = clustered(300, seed=version)
            build_index(ids=np.arange(300), vectors=vectors, directory=tmp_path, name="p", params=params)
            remove_stale(tmp_path, "p", keep=1)
    finally:
        stop.set()
        reader.join(timeout=30)
    failures = [errors.get() for _ in range(errors.qsize())]
    assert reader.exitcode == 0
    assert failures == []
    assert seen.value > 2  # the reader really queried across swaps


@pytest.mark.parametrize("n", [10, 5_000, 100_000])
def test_top_k_matches_a_full_sort(n):
    from search.ml.ann import _top_k

    scores = np.random.default_rng(n).normal(size=n).astype(np.float32)
    scores[::7] = -np.inf  # excluded rows
    for k in (1, 10, 100):
        k = min(k, n)
        assert list(_top_k(scores, k)) == list(np.argsort(-scores, kind="stable")[:k])


def test_low_dimensional_spaces_stay_exact_longer():
    from search.ml.ann import default_kind

    assert default_kind(100_000, 50) == "exact"
    assert default_kind(100_000, 1280) == "annoy"
    assert default_kind(1_000, 1280) == "exact"


def manifest_of(index) -> dict:
    import json

    return json.loads((index.path / "manifest.json").read_text())


def test_annoy_build_records_calibrated_effort_levels(small_annoy):
    index = small_annoy
    params = index.params
    assert [level["target"] for level in params["levels"]] == list(PLAIN_LEVELS)
    assert [level["target"] for level in params["conditioned_levels"]] == list(CONDITIONED_LEVELS)
    assert params["calibration_queries"] == 30
    assert params["conditioned_calibration_queries"] == 30
    for prefix in ("", "conditioned_"):
        assert params[prefix + "search_k"] > 0 and params[prefix + "rerank"] > 0


def test_higher_levels_are_calibrated_to_at_least_the_recall_of_lower_ones(small_annoy):
    params = small_annoy.params
    for levels in (params["levels"], params["conditioned_levels"]):
        recalls = [level["recall"] for level in levels]
        assert recalls == sorted(recalls)


def test_fixed_effort_overrides_calibration(tmp_path):
    index = built(tmp_path, clustered(3000), {**SMALL_ANNOY, "search_k": 1234, "conditioned_rerank": 77})
    assert index.params["search_k"] == 1234
    assert index.params["conditioned_rerank"] == 77


def test_calibration_queries_at_least_one_of_each_kind_whatever_the_params(tmp_path):
    params = {**SMALL_ANNOY, "calibration_queries": 0, "conditioned_calibration_queries": 0}
    index = built(tmp_path, clustered(3000), params)
    assert index.params["calibration_queries"] == 1
    assert index.params["conditioned_calibration_queries"] == 1


def test_annoy_build_runs_in_a_child_that_reports_its_peak_rss(small_annoy):
    index = small_annoy
    assert 10 < manifest_of(index)["build_peak_rss_mb"] < 2048


def test_annoy_build_records_the_seconds_of_each_phase(small_annoy):
    phases = manifest_of(small_annoy)["build_phases_seconds"]
    assert list(phases) == ["codes", "projection", "project_and_add", "forest", "calibration"]
    assert all(seconds >= 0 for seconds in phases.values())


@pytest.mark.parametrize(("load", "threads"), [(0.0, 4), (1.2, 4), (2.4, 3), (3.2, 2), (4.6, 1), (9.0, 1)])
def test_build_child_runs_blas_on_the_idle_cores_only(monkeypatch, load, threads):
    monkeypatch.setattr(ann.os, "cpu_count", lambda: 4)
    monkeypatch.setattr(ann.os, "getloadavg", lambda: (load, load, load))
    seen = {}

    def run(command, *, env, **kwargs):
        seen.update(env)
        raise RuntimeError("stop here")

    monkeypatch.setattr(ann.subprocess, "run", run)
    with pytest.raises(RuntimeError, match="stop here"):
        ann._run_build_child(Path("staging"))
    assert seen["OPENBLAS_NUM_THREADS"] == seen["OMP_NUM_THREADS"] == str(threads)


@pytest.mark.parametrize("k", [4, 64])
def test_top_eigenvectors_span_the_leading_eigenspace(k):
    rng = np.random.default_rng(5)
    basis, _ = np.linalg.qr(rng.normal(size=(256, 256)))
    spectrum = np.geomspace(100, 0.01, 256)  # distinct eigenvalues, as a covariance's are
    moment = (basis * spectrum) @ basis.T
    found = ann._top_eigenvectors(moment, k)
    expected = basis[:, :k]
    # every principal angle between the two subspaces is ~0, and the columns come largest first
    assert np.linalg.svd(expected.T @ found, compute_uv=False).min() > 0.999
    rayleigh = np.einsum("ij,ij->j", found, moment @ found)
    np.testing.assert_allclose(rayleigh, spectrum[:k], rtol=1e-4)


def test_build_over_its_memory_cap_fails_and_publishes_nothing(tmp_path):
    with pytest.raises(RuntimeError, match="index build failed"):
        build_index(
            ids=np.arange(3000),
            vectors=clustered(3000),
            directory=tmp_path,
            name="p",
            params={**SMALL_ANNOY, "build_memory_mb": 8},
        )
    assert list(tmp_path.iterdir()) == []


def test_annoy_keeps_one_byte_per_dimension_for_the_rerank(tmp_path):
    vectors = clustered(3000, dim=256)
    index = built(tmp_path, vectors, SMALL_ANNOY)
    assert np.load(index.path / "codes.npy", mmap_mode="r").dtype == np.uint8
    assert manifest_of(index)["bytes"] < 3000 * (256 * 4)


def test_uint8_rerank_scores_are_within_a_hundredth_of_the_float_cosine(small_annoy):
    vectors = clustered(3000)
    index = small_annoy
    query = clustered(1, seed=7)[0]
    weights = np.maximum(np.random.default_rng(8).normal(0, 1, 32), 0).astype(np.float32)
    for w in (None, weights):
        for id_, score in index.search(query, 10, weights=w):
            scale = np.ones(32) if w is None else w
            assert score == pytest.approx(cosine(vectors[id_] * scale, query * scale), abs=0.01)


def test_truncated_rerank_copy_is_reported_as_corrupt(tmp_path):
    path = build_index(ids=np.arange(3000), vectors=clustered(3000), directory=tmp_path, name="p", params=SMALL_ANNOY)
    codes = path / "codes.npy"
    codes.write_bytes(codes.read_bytes()[: codes.stat().st_size // 2])
    with pytest.raises(IndexCorrupt):
        load_index(path)


def test_calibration_truth_is_the_exact_top_10_of_the_decoded_rows_without_the_query_itself(small_annoy):
    from search.ml.ann import _exact_tops

    decoded = np.asarray(small_annoy.vectors)
    rows = np.array([3, 500, 2999])
    distinct = np.maximum(np.random.default_rng(9).normal(0, 1, (2, 32)), 0).astype(np.float32)
    classes = np.array([0, 1, 0])
    plain, conditioned = _exact_tops(small_annoy.vectors, small_annoy.norms, decoded[rows], rows, distinct, classes)
    for i, row in enumerate(rows):
        for found, w in ((plain[i], None), (conditioned[i], distinct[classes[i]])):
            expected = [j for j in brute_force(decoded, decoded[row], 11, w) if j != row][:10]
            assert sorted(found.tolist()) == sorted(expected)


def test_calibration_truth_conditions_only_the_first_queries_given_classes_for(small_annoy):
    from search.ml.ann import _exact_tops

    decoded = np.asarray(small_annoy.vectors)
    rows = np.array([2999, 3, 500])  # unsorted, as calibrate samples them
    distinct = np.maximum(np.random.default_rng(9).normal(0, 1, (1, 32)), 0).astype(np.float32)
    one_class = np.array([0])
    plain, conditioned = _exact_tops(small_annoy.vectors, small_annoy.norms, decoded[rows], rows, distinct, one_class)
    assert plain.shape == (3, 10) and conditioned.shape == (1, 10)
    expected = [j for j in brute_force(decoded, decoded[2999], 11, distinct[0]) if j != 2999][:10]
    assert sorted(conditioned[0].tolist()) == sorted(expected)
    expected_plain = [j for j in brute_force(decoded, decoded[500], 11, None) if j != 500][:10]
    assert sorted(plain[2].tolist()) == sorted(expected_plain)


# Damage: checksums, probe markers, replaced and removed folders ------------------------------------------------

PROBING = {**SMALL_ANNOY, "search_k": 2000, "rerank": 40}  # fixed effort: every query probes the forest


def _garble(path: Path, *, size: int = 4096, seed: int = 0) -> None:
    """Random bytes over the middle of a file, its size and modification time unchanged (bit rot)."""
    stat = path.stat()
    with open(path, "r+b") as file:
        file.seek(stat.st_size // 2)
        file.write(np.random.default_rng(seed).bytes(size))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


@pytest.fixture
def forest(tmp_path):
    return build_index(ids=np.arange(3000), vectors=clustered(3000), directory=tmp_path, name="p", params=PROBING)


def test_manifest_records_a_checksum_of_every_file(forest):
    manifest = json.loads((forest / ann.MANIFEST).read_text())
    files = {p.name for p in forest.iterdir() if p.name != ann.MANIFEST}
    assert set(manifest["checksums"]) == files and "index.ann" in files


def test_garbled_forest_is_refused_at_load_and_marked_bad(forest):
    _garble(forest / "index.ann")
    with pytest.raises(IndexCorrupt, match=r"index\.ann does not match its checksum"):
        load_index(forest)
    assert (forest / ann.BAD).exists()
    with pytest.raises(IndexCorrupt, match="marked bad"):  # no other process hashes it again
        load_index(forest)


def test_forest_truncated_after_load_is_never_probed_and_the_query_still_answers(forest):
    vectors = clustered(3000)
    index = load_index(forest)
    os.truncate(forest / "index.ann", 100)  # probing the mapping now would be SIGBUS
    query = clustered(1, seed=5)[0]
    found = {id_ for id_, _ in index.search(query, 10)}  # every uint8 row reranked: the float top 10, near-ties aside
    assert len(found & set(brute_force(vectors, query, 10))) >= 9
    with pytest.raises(IndexCorrupt, match="replaced or written"):
        load_index(forest)


_PROBE_UNTIL_DEAD = """
import sys
import numpy as np
from search.ml import ann
ann.MMAP_MIN_BYTES = 0  # mapped, as a forest of a million photos is
index = ann.load_index(sys.argv[1])
print("loaded", flush=True)
sys.stdin.readline()
for query in np.random.default_rng(1).random((500, 32), dtype=np.float32):
    index.search(query, 10)
"""


def test_a_loaded_forest_is_a_private_copy_that_damage_on_disk_cannot_reach(forest):
    index = load_index(forest)
    before = index.search(clustered(1, seed=5)[0], 10)
    _garble(forest / "index.ann", size=64 << 10)
    assert index.annoy.get_nns_by_vector((index.components @ clustered(1, seed=5)[0]).tolist(), 10, search_k=2000)
    assert index.search(clustered(1, seed=5)[0], 10) == before  # the guard reranks exactly now; no crash either way


def test_a_process_that_dies_probing_a_mapped_damaged_forest_marks_it_bad_for_the_next(forest):
    """Ensure the version a process died in is never probed again: the next load refuses it."""
    ours = load_index(forest)  # another process that loaded it before the damage
    child = subprocess.Popen(
        [sys.executable, "-c", _PROBE_UNTIL_DEAD, str(forest)],
        cwd=Path(__file__).resolve().parents[3],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert child.stdout.readline().strip() == "loaded"
    _garble(forest / "index.ann", size=64 << 10)
    child.communicate("\n", timeout=120)
    assert child.returncode < 0, "the damaged forest did not crash its prober"
    with pytest.raises(IndexCorrupt, match=f"process {child.pid} .* died while probing it"):
        load_index(forest)
    assert (forest / ann.BAD).exists() and ours is not None


def test_a_replaced_folder_is_loaded_afresh(tmp_path):
    first = build_index(ids=np.arange(50), vectors=clustered(50), directory=tmp_path / "a", name="p")
    second = build_index(ids=np.arange(80), vectors=clustered(80), directory=tmp_path / "b", name="p")
    assert len(load_index(first)) == 50
    shutil.rmtree(first)
    second.rename(first)
    assert len(load_index(first)) == 80


def test_a_removed_folder_is_gone_even_for_a_process_that_loaded_it(forest):
    load_index(forest)
    shutil.rmtree(forest)
    with pytest.raises(IndexGone):
        load_index(forest)


def test_a_probe_of_a_mapped_forest_leaves_no_marker_behind(forest, monkeypatch):
    monkeypatch.setattr(ann, "MMAP_MIN_BYTES", 0)
    index = load_index(forest)
    assert index.mapped
    index.search(clustered(1, seed=3)[0], 10)
    assert not [p for p in forest.iterdir() if p.name.startswith(".")]
