"""Faces benchmark: detection precision and recall, grouping precision and recall, and the faces pass's speed.

    python -m bench.faces [--repeats 3] [--pixels 786432,307200]

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
faces), as the app runs it: decode (gallery.images.open_rgb with JPEG draft) in the calling process, detect,
align, describe on two face processes (people.ml.FacePool); median of ``--repeats``, with the one-process rate
and the split per stage (the descriptor: the numpy port and dlib's own). The last stdout line is JSON.
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import os
import statistics
import time
from pathlib import Path

import dlib
import face_recognition_models
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


def detection(model: ml.FaceModel, pixels: int) -> dict:
    photos = labelled_photos()
    tp = fp = fn = 0
    misses, extras = [], []
    for name, (image, labelled) in photos.items():
        found = len(model.find(image, pixels=pixels))
        tp, fp, fn = tp + min(found, labelled), fp + max(0, found - labelled), fn + max(0, labelled - found)
        if found < labelled:
            misses.append(name)
        if found > labelled:
            extras.append(name)
    for name, (image, tiles) in composites(photos).items():
        claimed = [0] * len(tiles)
        for face in model.find(image, pixels=pixels):
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


def grouping(model: ml.FaceModel, pixels: int) -> dict:
    photos = labelled_photos()
    descriptors, identities = [], []
    for name, (image, labelled) in photos.items():
        if labelled != 1:
            continue
        for copy in variants(image):
            faces = model.find(copy, pixels=pixels)
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


def _decode(raw: bytes, pixels: int) -> Image.Image:
    """As the faces pass decodes a photo (people.services._photo_image): just large enough for detection."""
    size = ml.detect_size(*Image.open(io.BytesIO(raw)).size, pixels=pixels)
    return open_rgb(io.BytesIO(raw), long_side=max(size))


def speed(model: ml.FaceModel, pixels: int, repeats: int) -> dict:
    """Photos/s of decode + find on ≤ 1 MP JPEGs as the app runs it (decoded in the calling process, found on
    FACES_PROCESSES' default of two processes), and on one process; the split per stage."""
    jpegs = []
    for image, _ in labelled_photos().values():
        scale = (1_000_000 / (image.width * image.height)) ** 0.5
        sized = image.resize((int(image.width * scale), int(image.height * scale)))
        out = io.BytesIO()
        sized.save(out, "JPEG", quality=90)
        jpegs.append(out.getvalue())

    cpu: list[float] = []  # CPU seconds a photo, one process: what the rate on idle cores follows

    def rate(processes: int) -> float:
        pool = ml.FacePool(processes)
        try:
            pool.find((_decode(raw, pixels) for raw in jpegs[: processes * 2]), pixels=pixels)
            runs = []
            for _ in range(repeats):
                start, start_cpu = time.perf_counter(), time.process_time()
                pool.find((_decode(raw, pixels) for raw in jpegs), pixels=pixels)
                runs.append(len(jpegs) / (time.perf_counter() - start))
                if processes <= 1:
                    cpu.append((time.process_time() - start_cpu) / len(jpegs))
        finally:
            pool.close()
        return round(statistics.median(runs), 2)

    # The split per stage, one process: decode, detection, the rest of find (landmarks, chip, descriptor, crop)
    # per face found, and the descriptor alone: the numpy port and dlib's own on the same chips.
    decode, detect, per_face, chips = [], [], [], []
    for raw in jpegs:
        start = time.perf_counter()
        image = _decode(raw, pixels)
        decode.append(time.perf_counter() - start)
        small = ml._resized(image, pixels)
        grey = np.asarray(small.convert("L"))
        start = time.perf_counter()
        boxes = model.detector(grey, 0)
        detect.append(time.perf_counter() - start)
        start = time.perf_counter()
        found = len(model.find(image, pixels=pixels))
        if found:
            per_face.append((time.perf_counter() - start - detect[-1]) / found)
        rgb = np.asarray(small)
        chips += [dlib.get_face_chip(rgb, model.aligner(rgb, box), size=150, padding=0.25) for box in boxes]
    dlib_network = dlib.face_recognition_model_v1(face_recognition_models.face_recognition_model_location())
    port, theirs = [], []
    for chip in chips:
        start = time.perf_counter()
        model.network.describe(chip[None])
        port.append(time.perf_counter() - start)
        start = time.perf_counter()
        dlib_network.compute_face_descriptor(chip)
        theirs.append(time.perf_counter() - start)
    two, single = rate(2), rate(1)
    return {
        "photos": len(jpegs),
        "megapixels": 1.0,
        "photos_per_s": two,
        "photos_per_s_one_process": single,
        # Other developers' processes outside the shared lock take a core from the wall-clock rates: the rate two
        # idle cores would give, from the CPU time a photo takes.
        "cpu_ms_per_photo": round(statistics.median(cpu) * 1000, 1),
        "photos_per_s_two_idle_cores": round(2 / statistics.median(cpu), 2),
        "ms": {
            "decode": round(statistics.median(decode) * 1000, 1),
            "detect": round(statistics.median(detect) * 1000, 1),
            "rest_of_find_per_face": round(statistics.median(per_face) * 1000, 1) if per_face else None,
            "descriptor": round(statistics.median(port) * 1000, 1) if port else None,
            "descriptor_dlib": round(statistics.median(theirs) * 1000, 1) if theirs else None,
        },
        "faces_per_photo": round(sum(1 for _ in chips) / len(jpegs), 2),
        "backfill_100k_hours": round(100_000 / two / 3600, 1),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--pixels", default=f"{ml.DETECT_PIXELS},{640 * 480}", help="detection sizes (pixels) to measure"
    )
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args(argv)
    model = ml.face_model()
    result: dict = {
        "bench": "faces",
        "model": ml.MODEL_NAME,
        "descriptor": type(model.network).__name__,
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    for pixels in (int(p) for p in args.pixels.split(",")):
        measured = {"detection": detection(model, pixels), "grouping": grouping(model, pixels)}
        if not args.skip_speed:
            measured["speed"] = speed(model, pixels, args.repeats)
        result[f"pixels_{pixels}"] = measured
        print(json.dumps({"pixels": pixels, **measured}), flush=True)
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
