"""Ingest throughput: images/s through the worker's real code path, and where the time goes.

    python -m bench.ingest [--small 96] [--large 64] [--vgg-small 32] [--vgg-large 32] [--repeats 3]
                           [--models lite0,lite0-keras,lite1,vgg16]

Photos are stored with gallery.services.photo_create, then search.pipeline.photos_process runs on them in
batches of SEARCH_EMBED_BATCH, in this process, exactly as a Celery worker would: decode, thumbnail, embed,
store vectors and auto tags, schedule the index rebuild. Sets: "small" = scikit-image sample photos at their
native size (≤ 1 MP), "large" = the same photos upscaled to 4000×3000 (12 MP); every file is distinct (crops,
flips) so duplicate detection drops none. Models: Lite0 and Lite1 on the LiteRT runtime (the default),
Lite0 on Keras (the reference runtime, as `lite0-keras`) and the seed's VGG16 on Keras (random weights: same
compute as ImageNet weights, no download). The first batch per model (load, convert, trace) is not timed.
`forward_only_images_per_s` runs the network alone on full batches of preprocessed pixels: the ceiling that end
to end approaches as the other steps get cheaper.

Split per image (ms): decode (open_for_derivatives), thumbnail (thumbnail_jpeg), preprocess (square crop + resize to the
model input), forward (the network), store (vectors, labels, word tags: photos_embed + photos_tag
minus encode) and bookkeeping (the rest: status updates, thumbnail file, rebuild scheduling, queries). Last stdout
line is JSON.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import time
from collections import defaultdict
from contextlib import ExitStack
from unittest import mock

import numpy as np
from PIL import Image
from skimage import data as samples

from bench._django import site

SOURCES = ("chelsea", "coffee", "astronaut", "rocket", "hubble_deep_field", "immunohistochemistry", "retina", "camera")
LARGE_SIZE = (4000, 3000)
MAX_SMALL_PIXELS = 1_000_000


def source_images() -> list[Image.Image]:
    images = []
    for name in SOURCES:
        image = Image.fromarray(getattr(samples, name)()).convert("RGB")
        if image.width * image.height > MAX_SMALL_PIXELS:  # retina is 2 MP
            scale = (MAX_SMALL_PIXELS / (image.width * image.height)) ** 0.5
            image = image.resize((int(image.width * scale), int(image.height * scale)), Image.Resampling.LANCZOS)
        images.append(image)
    return images


def variant(image: Image.Image, i: int) -> Image.Image:
    """The i-th distinct variant of a photo: a crop a few pixels smaller per round, mirrored every other one."""
    trim = 1 + i // 2
    cropped = image.crop((trim, trim, image.width - trim, image.height - trim))
    return cropped.transpose(Image.Transpose.FLIP_LEFT_RIGHT) if i % 2 else cropped


def upscale(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Centre-crop to the target's aspect ratio, then resize: a 12 MP "camera" photo from a real one."""
    target = size[0] / size[1]
    if image.width / image.height > target:
        width = round(image.height * target)
        box = ((image.width - width) // 2, 0, (image.width - width) // 2 + width, image.height)
    else:
        height = round(image.width / target)
        box = (0, (image.height - height) // 2, image.width, (image.height - height) // 2 + height)
    return image.crop(box).resize(size, Image.Resampling.BICUBIC)


def jpeg_files(count: int, *, large: bool) -> list[bytes]:
    sources = source_images()
    files = []
    for i in range(count):
        image = variant(sources[i % len(sources)], i // len(sources))
        if large:
            image = upscale(image, LARGE_SIZE)
        out = io.BytesIO()
        image.save(out, "JPEG", quality=90)
        files.append(out.getvalue())
    assert len(set(files)) == count
    return files


def timed(totals: dict[str, float], key: str, func):
    """Add func's wall and process CPU seconds to totals[key] and totals[key + "_cpu"]."""

    def wrapper(*args, **kwargs):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return func(*args, **kwargs)
        finally:
            totals[key] += time.perf_counter() - wall
            totals[key + "_cpu"] += time.process_time() - cpu

    return wrapper


def process(photo_ids: list[int], *, batch: int) -> None:
    from search import pipeline

    for start in range(0, len(photo_ids), batch):
        pipeline.photos_process(photo_ids=photo_ids[start : start + batch])


def measure(files: list[bytes], *, encoder, repeats: int) -> dict:
    """Median images/s over `repeats` runs of photos_process on fresh photos (a fresh owner each run)."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.files.base import ContentFile

    from gallery import services
    from gallery.models import Photo
    from search import ingest

    users = get_user_model().objects
    batch = settings.SEARCH_EMBED_BATCH
    warm = users.create_user(username=f"warm-{users.count()}")
    process(
        [services.photo_create(owner=warm, file=ContentFile(f, "w.jpg"), rate_limited=False).id for f in files[:batch]],
        batch=batch,
    )
    runs = []
    for _ in range(repeats):
        owner = users.create_user(username=f"owner-{users.count()}")
        ids = [
            services.photo_create(owner=owner, file=ContentFile(f, f"{i}.jpg"), rate_limited=False).id
            for i, f in enumerate(files)
        ]
        totals: dict[str, float] = defaultdict(float)
        with ExitStack() as patches:
            for target, name in (
                (services, "open_for_derivatives"),
                (services, "thumbnail_jpeg"),
                (ingest, "photos_embed"),
                (ingest, "photos_tag"),
                (encoder, "encode"),
                (encoder, "preprocess"),
            ):
                patches.enter_context(mock.patch.object(target, name, timed(totals, name, getattr(target, name))))
            timed(totals, "total", process)(ids, batch=batch)
        photos = list(Photo.objects.filter(id__in=ids))
        assert all(p.status == Photo.Status.READY for p in photos), {p.status: p.error for p in photos}
        for photo in photos:  # 12 MP originals add up; the rows stay
            photo.original.delete(save=False)
            photo.thumbnail.delete(save=False)
        runs.append(totals)
    n = len(files)
    return {
        "images": n,
        "images_per_s": round(statistics.median(n / r["total"] for r in runs), 2),
        "images_per_cpu_s": round(statistics.median(n / r["total_cpu"] for r in runs), 2),
        "ms_per_image": _split(runs, n, ""),
        "cpu_ms_per_image": _split(runs, n, "_cpu"),
        "runs_images_per_s": [round(n / r["total"], 2) for r in runs],
    }


def _split(runs: list[dict[str, float]], n: int, suffix: str) -> dict[str, float]:
    def part(r, name):
        return r[name + suffix]

    split = {
        "decode": [part(r, "open_for_derivatives") for r in runs],
        "thumbnail": [part(r, "thumbnail_jpeg") for r in runs],
        "preprocess": [part(r, "preprocess") for r in runs],
        "forward": [part(r, "encode") - part(r, "preprocess") for r in runs],
        "store": [part(r, "photos_embed") + part(r, "photos_tag") - part(r, "encode") for r in runs],
        "bookkeeping": [
            part(r, "total")
            - part(r, "open_for_derivatives")
            - part(r, "thumbnail_jpeg")
            - part(r, "photos_embed")
            - part(r, "photos_tag")
            for r in runs
        ],
    }
    return {key: round(statistics.median(values) / n * 1e3, 2) for key, values in split.items()}


def forward_only(encoder, *, seconds: float = 5.0) -> float:
    """Images/s of the network alone, on full batches of preprocessed sample photos."""
    from search.ml.encoder import BATCH_SIZE

    sources = source_images()
    pixels = np.stack([encoder.preprocess(sources[i % len(sources)].copy()) for i in range(BATCH_SIZE)])
    encoder.encode_pixels(pixels)
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        encoder.encode_pixels(pixels)
        done += len(pixels)
    return round(done / (time.perf_counter() - start), 1)


def targets(results: dict) -> dict[str, bool]:
    met = {}
    for model in ("lite0", "lite1"):
        if f"{model}_small" in results:
            met[f"{model}_small_ge_100"] = results[f"{model}_small"]["images_per_s"] >= 100
            met[f"{model}_large_ge_50"] = results[f"{model}_large"]["images_per_s"] >= 50
    for size in ("small", "large"):
        if f"vgg16_slowdown_{size}" in results:
            met[f"vgg16_ge_10x_slower_{size}"] = results[f"vgg16_slowdown_{size}"] >= 10
    return met


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=96, help="≤1 MP photos per Lite0 run")
    parser.add_argument("--large", type=int, default=64, help="12 MP photos per Lite0 run")
    parser.add_argument("--vgg-small", type=int, default=32, help="≤1 MP photos per VGG16 run")
    parser.add_argument("--vgg-large", type=int, default=32, help="12 MP photos per VGG16 run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--models",
        default="lite0,lite0-keras,lite1,vgg16",
        help="comma-separated: lite0, lite1 (LiteRT), lite0-keras, lite1-keras, vgg16",
    )
    args = parser.parse_args(argv)
    wanted = args.models.split(",")

    with site():
        from django.conf import settings
        from django.test import override_settings

        from search.ml import encoder as encoders

        def lite(name, runtime):
            return lambda: encoders.get_encoder(name, cache_dir=settings.SEARCH_MODEL_DIR, runtime=runtime)

        models = {
            **{name: (name, "litert", lite(name, "litert"), args.small, args.large) for name in ("lite0", "lite1")},
            **{
                f"{name}-keras": (name, "keras", lite(name, "keras"), args.small, args.large)
                for name in ("lite0", "lite1")
            },
            "vgg16": ("vgg16", "keras", lambda: encoders.VGG16Encoder(weights=None), args.vgg_small, args.vgg_large),
        }
        sizes = {size: max(models[m][i] for m in wanted) for i, size in ((3, "small"), (4, "large"))}
        files = {size: jpeg_files(n, large=size == "large") for size, n in sizes.items()}
        results = {}
        for model in wanted:
            name, runtime, load, n_small, n_large = models[model]
            encoder = load()
            # The app asks search.ml.encoder for its model by name; hand it this instance.
            with (
                override_settings(SEARCH_MODEL=name, SEARCH_RUNTIME=runtime),
                mock.patch.object(encoders, "_cached_encoder", lambda *args, e=encoder: e),
            ):
                for size, n in (("small", n_small), ("large", n_large)):
                    results[f"{model}_{size}"] = measure(files[size][:n], encoder=encoder, repeats=args.repeats)
                    print(model, size, json.dumps(results[f"{model}_{size}"]), flush=True)
            results[f"{model}_forward_only_images_per_s"] = forward_only(encoder)
        if {"lite0", "vgg16"} <= set(wanted):
            for size in ("small", "large"):
                results[f"vgg16_slowdown_{size}"] = round(
                    results[f"lite0_{size}"]["images_per_s"] / results[f"vgg16_{size}"]["images_per_s"], 2
                )
        results["load_average_1m"] = round(os.getloadavg()[0], 2)  # other processes on the 2 cores skew wall times
        results["file_mb"] = {size: round(float(np.mean([len(f) for f in fs])) / 1e6, 3) for size, fs in files.items()}
        results["targets"] = targets(results)
    print(json.dumps({"bench": "ingest", **results}))
    return results


if __name__ == "__main__":
    main()
