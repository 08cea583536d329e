import numpy as np
import pytest

from search.ml.atomic import atomic_write


def test_atomic_write_replaces_the_file_whole(tmp_path):
    path = tmp_path / "sub" / "vectors.npy"
    atomic_write(path, lambda tmp: np.save(tmp, np.arange(3)))
    atomic_write(path, lambda tmp: np.save(tmp, np.arange(5)))
    assert np.load(path).tolist() == [0, 1, 2, 3, 4]
    assert [p.name for p in path.parent.iterdir()] == ["vectors.npy"]


def test_atomic_write_failure_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "model.weights.h5"
    path.write_bytes(b"old")

    def fail(tmp):
        with open(tmp, "wb") as f:
            f.write(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(path, fail)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.weights.h5"]


def test_atomic_write_temporary_name_ends_with_the_target_name(tmp_path):
    seen = []
    atomic_write(tmp_path / "model.weights.h5", lambda tmp: seen.append(tmp) or open(tmp, "wb").close())
    assert seen[0].endswith(".model.weights.h5")
