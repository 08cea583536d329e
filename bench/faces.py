"""Faces benchmark: detection precision and recall, grouping precision and recall, and the faces pass's speed.

    python -m bench.faces [--repeats 3] [--sides 1024,640]

Detection, on a labelled set built from real photos that install offline, with their counts of visible frontal
faces (counted by eye):
- faces: scikit-image's astronaut (1) and cameraman (1, in three-quarter view behind his camera), matplotlib's
  grace_hopper.jpg (1), OpenCV's messi5.jpg (1, small, a crowd too far away to count behind him), basketball1.png
  and basketball2.png (1 each: the second player turns his back);
- no faces: scikit-image's chelsea, coffee, rocket, hubble_deep_field, immunohistochemistry, horse, brick; OpenCV's
  baboon, fruits, home, starry_night, butterfly, building, smarties, stuff, Blender_Suzanne1 (a 3-D monkey head),
  aloeL, squirrel_cls, licenseplate_motion;
- group pictures composed of them: tiles side by side or in a grid, each with a known face count; a detection
  counts only if its centre lies in a tile with a face not found yet.
Per photo, true positives are min(found, labelled) (composites: per tile); extra detections are false positives.

Grouping: each identity the detector finds (Grace Hopper, the astronaut, Messi, the basketball player of both
frames, the cameraman) in its photo and in copies of it: mirrored, cropped, scaled down, darker, brighter, more
contrast, JPEG quality 30, rotated 6°. Descriptors are grouped as the app groups them (people.ml.group at
FACES_SAME_PERSON); precision and recall are over pairs of faces (same identity or not). A threshold sweep shows
the margin.

Speed: the faces pass on JPEGs of at most 1 MP (the labelled photos enlarged to about 1 MP: a mix with and without
faces), as the app runs it: decode (gallery.images.open_rgb with JPEG draft), detect, align, describe, on two
threads; median of ``--repeats``, with the single-thread rate and the split per stage. The last stdout line is JSON.
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import matplotlib
import numpy as np
from PIL import Image, ImageEnhance, ImageOps
from skimage import data as skdata

from gallery.images import open_rgb
from people import ml

# Debian's opencv-doc sample photos: installed by apt, or unpacked under .venv/system without root
# (scripts/ensure-system.sh).
_OPENCV_DATA = Path("usr/share/doc/opencv-doc/examples/data")
OPENCV = next(
    (
        root / _OPENCV_DATA
        for root in (Path("/"), Path(__file__).resolve().parent.parent / ".venv" / "system")
        if (root / _OPENCV_DATA).is_dir()
    ),
    Path("/") / _OPENCV_DATA,
)
SAME_PERSON = 0.5  # searchsite.settings FACES_SAME_PERSON's default


def _rgb(array) -> Image.Image:
    return Image.fromarray(array).convert("RGB")


def _opencv(name: str) -> Image.Image:
    return Image.open(OPENCV / name).convert("RGB")


def labelled_photos() -> dict[str, tuple[Image.Image, int]]:
    grace = Image.open(Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg").convert("RGB")
    photos = {
        "astronaut": (_rgb(skdata.astronaut()), 1),
        "camera": (_rgb(skdata.camera()), 1),
        "grace_hopper": (grace, 1),
        "messi5": (_opencv("messi5.jpg"), 1),
        "basketball1": (_opencv("basketball1.png"), 1),
        "basketball2": (_opencv("basketball2.png"), 1),
    }
    for name in ("chelsea", "coffee", "rocket", "hubble_deep_field", "immunohistochemistry", "horse", "brick"):
        photos[name] = (_rgb(getattr(skdata, name)()), 0)
    for name in (
        "baboon.jpg", "fruits.jpg", "home.jpg", "starry_night.jpg", "butterfly.jpg", "building.jpg", "smarties.png",
        "stuff.jpg", "Blender_Suzanne1.jpg", "aloeL.jpg", "squirrel_cls.jpg", "licenseplate_motion.jpg",
    ):  # fmt: skip
        photos[name.rsplit(".", 1)[0]] = (_opencv(name), 0)
    return photos


def composites(photos: dict[str, tuple[Image.Image, int]]) -> dict[str, tuple[Image.Image, list[tuple]]]:
    """Group pictures: {name: (image, [(tile box in pixels, faces in it)])}."""

    def row(names: list[str], height: int) -> tuple[Image.Image, list[tuple]]:
        tiles = []
        for name in names:
            image, faces = photos[name] if not name.startswith("~") else (ImageOps.mirror(photos[name[1:]][0]), 1)
            scale = height / image.height
            tiles.append((image.resize((round(image.width * scale), height)), faces))
        canvas = Image.new("RGB", (sum(t.width for t, _ in tiles), height), (128, 128, 128))
        boxes, left = [], 0
        for tile, faces in tiles:
            canvas.paste(tile, (left, 0))
            boxes.append(((left, 0, left + tile.width, height), faces))
            left += tile.width
        return canvas, boxes

    def grid(names: list[str], side: int) -> tuple[Image.Image, list[tuple]]:
        canvas = Image.new("RGB", (side * 2, side * 2), (128, 128, 128))
        boxes = []
        for index, name in enumerate(names):
            image, faces = photos[name]
            left, top = (index % 2) * side, (index // 2) * side
            canvas.paste(ImageOps.fit(image, (side, side)), (left, top))
            boxes.append(((left, top, left + side, top + side), faces))
        return canvas, boxes

    return {
        "group_three": row(["grace_hopper", "astronaut", "~grace_hopper"], 600),
        "group_grid": grid(["astronaut", "chelsea", "grace_hopper", "coffee"], 480),
        "group_five_small": row(["grace_hopper", "astronaut", "~astronaut", "rocket", "~grace_hopper"], 360),
        "group_team": row(["messi5", "basketball1", "~grace_hopper"], 480),
    }


def detection(model: ml.FaceModel, side: int) -> dict:
    photos = labelled_photos()
    tp = fp = fn = 0
    misses, extras = [], []
    for name, (image, labelled) in photos.items():
        found = len(model.find(image, side=side))
        tp, fp, fn = tp + min(found, labelled), fp + max(0, found - labelled), fn + max(0, labelled - found)
        if found < labelled:
            misses.append(name)
        if found > labelled:
            extras.append(name)
    for name, (image, tiles) in composites(photos).items():
        claimed = [0] * len(tiles)
        for face in model.find(image, side=side):
            cx = (face.box[0] + face.box[2] / 2) * image.width
            cy = (face.box[1] + face.box[3] / 2) * image.height
            tile = next(
                (
                    i
                    for i, ((left, top, right, bottom), _) in enumerate(tiles)
                    if left <= cx < right and top <= cy < bottom
                ),
                None,
            )
            if tile is not None and claimed[tile] < tiles[tile][1]:
                claimed[tile] += 1
                tp += 1
            else:
                fp += 1
                extras.append(name)
        missed = sum(faces for _, faces in tiles) - sum(claimed)
        fn += missed
        if missed:
            misses.append(f"{name} ({missed})")
    return {
        "photos": len(photos) + 4,
        "faces": tp + fn,
        "precision": round(tp / max(tp + fp, 1), 3),
        "recall": round(tp / max(tp + fn, 1), 3),
        "missed_in": misses,
        "false_positives_in": sorted(set(extras)),
    }


def variants(image: Image.Image) -> list[Image.Image]:
    width, height = image.size
    out = io.BytesIO()
    image.save(out, "JPEG", quality=30)
    return [
        image,
        ImageOps.mirror(image),
        image.crop((width // 12, height // 12, width - width // 12, height - height // 12)),
        image.resize((width * 2 // 3, height * 2 // 3)),
        ImageEnhance.Brightness(image).enhance(0.7),
        ImageEnhance.Brightness(image).enhance(1.3),
        ImageEnhance.Contrast(image).enhance(1.4),
        Image.open(io.BytesIO(out.getvalue())).convert("RGB"),
        image.rotate(6, resample=Image.Resampling.BILINEAR, expand=False),
    ]


# basketball1.png and basketball2.png are two frames of one player.
SAME_IDENTITY = {"basketball2": "basketball1"}


def grouping(model: ml.FaceModel, side: int) -> dict:
    photos = labelled_photos()
    descriptors, identities = [], []
    for name, (image, labelled) in photos.items():
        if labelled != 1:
            continue
        for copy in variants(image):
            faces = model.find(copy, side=side)
            if faces:  # the largest face is the labelled one
                descriptors.append(faces[0].descriptor)
                identities.append(SAME_IDENTITY.get(name, name))
    descriptors = np.stack(descriptors)

    def scores(threshold: float) -> dict:
        labels = ml.group(descriptors, threshold=threshold)
        tp = fp = fn = 0
        for i, j in itertools.combinations(range(len(identities)), 2):
            same, together = identities[i] == identities[j], labels[i] == labels[j]
            tp += same and together
            fp += together and not same
            fn += same and not together
        return {"precision": round(tp / max(tp + fp, 1), 3), "recall": round(tp / max(tp + fn, 1), 3)}

    return {
        "identities": sorted(set(identities)),
        "faces": len(identities),
        "threshold": SAME_PERSON,
        **scores(SAME_PERSON),
        "sweep": {str(t): scores(t) for t in (0.4, 0.45, 0.5, 0.55, 0.6)},
    }


def speed(model: ml.FaceModel, side: int, repeats: int) -> dict:
    """Photos/s of decode + find on ≤ 1 MP JPEGs, two threads as the app runs it, and one."""
    jpegs = []
    for image, _ in labelled_photos().values():
        scale = (1_000_000 / (image.width * image.height)) ** 0.5
        sized = image.resize((int(image.width * scale), int(image.height * scale)))
        out = io.BytesIO()
        sized.save(out, "JPEG", quality=90)
        jpegs.append(out.getvalue())

    def one(raw: bytes) -> int:  # each thread its own model, as the app's faces pass runs
        return len(ml.face_model().find(open_rgb(io.BytesIO(raw), long_side=side), side=side))

    def rate(threads: int) -> float:
        runs = []
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(one, jpegs[: threads * 2]))  # load each thread's model first
            for _ in range(repeats):
                start = time.perf_counter()
                list(pool.map(one, jpegs))
                runs.append(len(jpegs) / (time.perf_counter() - start))
        return round(statistics.median(runs), 2)

    # The split per stage, one thread: decode, detection, and one descriptor per face found.
    decode, detect, describe, faces = [], [], [], 0
    for raw in jpegs:
        start = time.perf_counter()
        image = open_rgb(io.BytesIO(raw), long_side=side)
        decode.append(time.perf_counter() - start)
        small = np.asarray(ml._resized(image, side).convert("L"))
        start = time.perf_counter()
        model.detector.run(small, 0, 0.0)
        detect.append(time.perf_counter() - start)
        start = time.perf_counter()
        found = len(model.find(image, side=side))
        faces += found
        if found:
            describe.append((time.perf_counter() - start - detect[-1]) / found)
    two, single = rate(2), rate(1)
    return {
        "photos": len(jpegs),
        "megapixels": 1.0,
        "photos_per_s": two,
        "photos_per_s_one_thread": single,
        "ms": {
            "decode": round(statistics.median(decode) * 1000, 1),
            "detect": round(statistics.median(detect) * 1000, 1),
            "describe_per_face": round(statistics.median(describe) * 1000, 1) if describe else None,
        },
        "faces_per_photo": round(faces / len(jpegs), 2),
        "backfill_100k_hours": round(100_000 / two / 3600, 1),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sides", default=f"{ml.DETECT_SIDE},640", help="detection sides to measure")
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args(argv)
    model = ml.face_model()
    result: dict = {"bench": "faces", "model": ml.MODEL_NAME, "load_average_1m": round(os.getloadavg()[0], 2)}
    for side in (int(s) for s in args.sides.split(",")):
        measured = {"detection": detection(model, side), "grouping": grouping(model, side)}
        if not args.skip_speed:
            measured["speed"] = speed(model, side, args.repeats)
        result[f"side_{side}"] = measured
        print(json.dumps({"side": side, **measured}), flush=True)
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
