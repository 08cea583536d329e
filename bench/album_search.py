"""Shared-album search time against the size of the owner's gallery: it must not depend on it.

    python -m bench.album_search [--sizes 100,10000] [--album 30] [--repeats 40]

A real site (SQLite, Redis). For each size, one owner with that many photo rows and stored feature vectors
(non-negative synthetic rows of the configured model's width), an album of `--album` of them shared with a
viewer. The viewer's searches (words "cat", and like one of the album's photos) are timed end to end through
search.album_search, the sizes interleaved in a fresh random order each round, so that drift on a shared
machine hits them alike. Reported: the median per size and kind, and the ratio of the largest size's median
to the smallest's (1.0 = no dependence).
The last stdout line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import numpy as np

from bench._django import placeholder_photos


def main(argv: list[str] | None = None) -> dict:
    from bench._django import site

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,10000")
    parser.add_argument("--album", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=40)
    args = parser.parse_args(argv)
    with site():
        return run([int(s) for s in args.sizes.split(",")], album_size=args.album, repeats=args.repeats)


def _owner_with_album(size: int, *, album_size: int, dim: int, model_key: str, rng):
    from django.contrib.auth import get_user_model

    from gallery import services
    from gallery.models import Photo
    from search import components
    from search.models import PhotoEmbedding

    users = get_user_model().objects
    owner, viewer = users.create_user(username=f"owner{size}"), users.create_user(username=f"viewer{size}")
    placeholder_photos(owner=owner, count=size, prefix=f"{size:08x}")
    ids = list(Photo.objects.filter(owner=owner).order_by("id").values_list("id", flat=True))
    name, version = components.model_parts(model_key)
    vectors = np.maximum(rng.normal(0.2, 1.0, (size, dim)), 0).astype(np.float32)
    PhotoEmbedding.objects.bulk_create(
        [
            PhotoEmbedding(photo_id=i, model_name=name, model_version=version, vector=vectors[n].tobytes())
            for n, i in enumerate(ids)
        ],
        batch_size=2000,
    )
    chosen = [int(i) for i in rng.choice(ids, size=min(album_size, size), replace=False)]
    album = services.album_create(owner=owner, name=f"Album {size}", photo_ids=chosen)
    services.member_add(album=album, username=viewer.username, role="viewer")
    return viewer, album, chosen


def run(sizes: list[int], *, album_size: int, repeats: int) -> dict:
    from search import components
    from search.album_search import album_search

    model_key = components.configured_model_key()
    weights, _ = components.classifier(model_key)
    rng = np.random.default_rng(0)
    setups = {
        size: _owner_with_album(size, album_size=album_size, dim=weights.shape[0], model_key=model_key, rng=rng)
        for size in sizes
    }
    kinds = {
        "words": lambda viewer, album, chosen: album_search(user=viewer, album_id=album.id, k=20, q="cat"),
        "photo": lambda viewer, album, chosen: album_search(user=viewer, album_id=album.id, k=20, photo_id=chosen[0]),
    }
    times = {(size, kind): [] for size in sizes for kind in kinds}
    counts = {}
    for kind, search in kinds.items():  # warm caches (word space, classifier) before timing
        for size in sizes:
            counts[(size, kind)] = len(search(*setups[size]))
    for _ in range(repeats):
        for kind, search in kinds.items():
            for size in rng.permutation(sizes).tolist():  # a fresh order each round: no size always goes first
                started = time.perf_counter()
                search(*setups[size])
                times[(size, kind)].append(time.perf_counter() - started)
    rows = []
    for (size, kind), seconds in times.items():
        row = {
            "owner_photos": size,
            "kind": kind,
            "results": counts[(size, kind)],
            "p50_ms": round(1000 * statistics.median(seconds), 2),
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    small, large = min(sizes), max(sizes)
    p50 = {(r["owner_photos"], r["kind"]): r["p50_ms"] for r in rows}
    out = {
        "bench": "album_search",
        "album_photos": album_size,
        "sizes": sizes,
        "repeats": repeats,
        "ratio_large_to_small": {kind: round(p50[(large, kind)] / p50[(small, kind)], 3) for kind in kinds},
        "same_results_count": all(counts[(small, k)] == counts[(large, k)] for k in kinds),
        "cases": rows,
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
