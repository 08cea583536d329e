"""Fashion-MNIST as a stand-in product-photo gallery, and its cached Lite0 features.

Run ``python -m bench.fmnist`` to (re)build the feature cache; other benchmarks call
``fmnist_features`` and get the cached arrays.
"""

from __future__ import annotations

import gzip
import json
import os
import time
from pathlib import Path

import numpy as np
from PIL import Image

from search.ml.atomic import atomic_write

DATASET_DIR = Path("/usr/share/datasets/fashion-mnist")
# Under the project's data dir unless BENCH_CACHE says otherwise (the features take minutes to compute).
BENCH_CACHE = Path(
    os.environ.get("BENCH_CACHE")
    or Path(os.environ.get("DATA_DIR") or Path(__file__).resolve().parent.parent / "data") / "bench"
)
CLASS_NAMES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
_CHUNK = 1024


def _read_idx(path: Path) -> np.ndarray:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def _find(stem: str) -> Path:
    for name in (stem, f"{stem}.gz"):
        if (DATASET_DIR / name).exists():
            return DATASET_DIR / name
    raise FileNotFoundError(f"{stem}[.gz] not in {DATASET_DIR} (apt install dataset-fashion-mnist)")


def load_fmnist() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (images (70000, 28, 28) uint8, labels (70000,) uint8, split (70000,) 0=train 1=test)."""
    images = np.concatenate([_read_idx(_find("train-images-idx3-ubyte")), _read_idx(_find("t10k-images-idx3-ubyte"))])
    labels = np.concatenate([_read_idx(_find("train-labels-idx1-ubyte")), _read_idx(_find("t10k-labels-idx1-ubyte"))])
    split = np.concatenate([np.zeros(60000, np.uint8), np.ones(10000, np.uint8)])
    return images, labels, split


def to_photo(image: np.ndarray) -> Image.Image:
    """28×28 grayscale (light object on black) → RGB "product photo": dark object on white."""
    return Image.fromarray(255 - image, mode="L").convert("RGB")


def fmnist_features(cache_dir: Path = BENCH_CACHE) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (features (70000, 1280) float32, labels, split), embedding once and caching as .npy."""
    paths = {key: cache_dir / f"fmnist-{key}.npy" for key in ("lite0-features", "labels", "split")}
    if all(p.exists() for p in paths.values()):
        return tuple(np.load(paths[key]) for key in ("lite0-features", "labels", "split"))
    from search.ml.encoder import get_encoder

    encoder = get_encoder("lite0", cache_dir=cache_dir)
    images, labels, split = load_fmnist()
    features = np.empty((len(images), encoder.dim), np.float32)
    for start in range(0, len(images), _CHUNK):
        chunk = images[start : start + _CHUNK]
        pixels = np.stack([encoder.preprocess(to_photo(image)) for image in chunk])
        features[start : start + len(chunk)], _ = encoder.encode_pixels(pixels)
    cache_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(paths["labels"], lambda tmp: np.save(tmp, labels))
    atomic_write(paths["split"], lambda tmp: np.save(tmp, split))
    # Features last: their presence means the set is complete.
    atomic_write(paths["lite0-features"], lambda tmp: np.save(tmp, features))
    return features, labels, split


def main() -> None:
    start = time.perf_counter()
    features, _labels, _ = fmnist_features()
    seconds = time.perf_counter() - start
    print(json.dumps({"images": len(features), "dim": features.shape[1], "seconds": round(seconds, 1)}))


if __name__ == "__main__":
    main()
