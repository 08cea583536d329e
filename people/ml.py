"""The Django-free face core: pixels in, face boxes and 128-d descriptors out; descriptors in, groups out.

dlib's HOG detector finds frontal faces, its 5-point shape predictor aligns each one, and its ResNet turns the
aligned 150×150 chip into a 128-d descriptor on which two faces of one person lie within about 0.6 (euclidean;
99.38% on LFW). The model files ship in the face-recognition-models package, so nothing is downloaded. The ResNet
runs in numpy (people/resnet.py: the same network and weights, the same descriptors, several times faster than
dlib-bin's build without BLAS); dlib's own runs it if that port cannot read the file.

dlib's calls hold the GIL, so the faces pass spreads photos over processes, not threads (FacePool).

This module knows nothing of photos, owners or Django (tests/people/test_layering.py).
"""

from __future__ import annotations

import contextlib
import io
import logging
import multiprocessing
import os
import threading
from collections.abc import Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

import dlib
import face_recognition_models
import numpy as np
from PIL import Image

from . import resnet

logger = logging.getLogger(__name__)

# Detection runs on a copy of about this many pixels (smaller photos are enlarged, larger ones reduced): HOG finds
# faces of about 80 px and more, so this sets the smallest face found and the cost, which follows the pixels. A
# budget of pixels rather than a longer side keeps wide photos (panoramas, a row of people) at the same detail as
# others for the same cost. bench.faces measures both.
DETECT_PIXELS = 1024 * 768
# dlib's detector score: the suit of scikit-image's astronaut scores 0.12, real faces 1 and more.
MIN_SCORE = 0.3
DESCRIPTOR_SIZE = 128
CROP_SIDE = 160  # px of the stored face crop (the People page shows them at 80–96 CSS px)
# Everything that changes which faces are found or what their descriptors are: a new value re-runs the pass.
MODEL_NAME = "dlib-hog+resnet-v1"


def model_version(pixels: int = DETECT_PIXELS) -> str:
    return f"{MODEL_NAME}:{pixels}px:{MIN_SCORE}"


def detect_size(width: int, height: int, *, pixels: int = DETECT_PIXELS) -> tuple[int, int]:
    """The size of an image of this size as detection sees it: the same shape, about ``pixels`` pixels."""
    scale = (pixels / max(width * height, 1)) ** 0.5
    return max(1, round(width * scale)), max(1, round(height * scale))


@dataclass(frozen=True)
class Found:
    """One face: its box as fractions of the image (x, y, w, h in 0..1), the detector's score, the descriptor
    (float32[128]) and a small JPEG crop around it."""

    box: tuple[float, float, float, float]
    score: float
    descriptor: np.ndarray
    crop: bytes


class FaceModel:
    """dlib's detector, aligner and descriptor network. dlib's objects keep scratch buffers, so one instance serves
    one thread at a time (face_model() gives each thread its own)."""

    def __init__(self) -> None:
        self.detector = dlib.get_frontal_face_detector()
        self.aligner = dlib.shape_predictor(face_recognition_models.pose_predictor_five_point_model_location())
        try:
            self.network = resnet.ResNet(face_recognition_models.face_recognition_model_location())
        except (resnet.FormatError, OSError, ValueError, IndexError):
            logger.warning("Face descriptor: numpy port failed, using dlib's (slower)", exc_info=True)
            self.network = _DlibNetwork()

    def find(self, image: Image.Image, *, pixels: int = DETECT_PIXELS) -> list[Found]:
        """The faces of an upright RGB image, largest first."""
        small = _resized(image, pixels)
        pixels = np.asarray(small)
        width, height = small.size
        grey = np.asarray(small.convert("L"))  # HOG on one channel, not three: a fifth faster, same faces found
        boxes, scores, _ = self.detector.run(grey, 0, 0.0)
        kept, chips = [], []
        for box, score in zip(boxes, scores, strict=True):
            if score < MIN_SCORE:
                continue
            box = box.intersect(dlib.rectangle(0, 0, width - 1, height - 1))
            if box.is_empty() or box.width() < 8 or box.height() < 8:
                continue
            shape = self.aligner(pixels, box)
            chips.append(dlib.get_face_chip(pixels, shape, size=resnet.CHIP_SIDE, padding=0.25))
            kept.append((box, score))
        descriptors = self.network.describe(np.stack(chips)) if chips else []
        found = []
        for (box, score), descriptor in zip(kept, descriptors, strict=True):
            fraction = (box.left() / width, box.top() / height, box.width() / width, box.height() / height)
            found.append(
                Found(
                    box=tuple(round(float(v), 4) for v in fraction),
                    score=round(float(score), 3),
                    descriptor=np.asarray(descriptor, dtype=np.float32),
                    crop=_crop_jpeg(image, fraction),
                )
            )
        return sorted(found, key=lambda face: -face.box[2] * face.box[3])


class _DlibNetwork:
    """dlib's own descriptor network, behind the same ``describe`` as people.resnet.ResNet."""

    def __init__(self) -> None:
        self.network = dlib.face_recognition_model_v1(face_recognition_models.face_recognition_model_location())

    def describe(self, chips: np.ndarray) -> np.ndarray:
        return np.stack([np.asarray(self.network.compute_face_descriptor(chip), dtype=np.float32) for chip in chips])


_per_thread = threading.local()


def face_model() -> FaceModel:
    """This thread's model (about 50 MB of weights each)."""
    if not hasattr(_per_thread, "model"):
        _per_thread.model = FaceModel()
    return _per_thread.model


class FacePool:
    """find() on several processes, each with its own model: dlib holds the GIL, so threads would share one core.
    With ``processes`` ≤ 1 it runs in the calling thread. The processes start from a fresh interpreter that imports
    only this module (forkserver), so they hold no Django state, connections or locks of the caller, and run at the
    idle CPU priority."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._executor: ProcessPoolExecutor | None = None

    def find(self, images: Iterable[Image.Image | None], *, pixels: int = DETECT_PIXELS) -> list[list[Found]]:
        """The faces of each image (none for None), in order. ``images`` may be a generator: each image is sent
        as soon as it is decoded. A process that dies (e.g. out of memory) raises BrokenProcessPool; the next
        call starts new ones."""
        if self.processes <= 1:
            return [_find_in_process(image, pixels) if image is not None else [] for image in images]
        executor = self._pool()
        try:
            futures: list[Future | None] = [
                executor.submit(_find_in_process, image, pixels) if image is not None else None for image in images
            ]
            return [future.result() if future is not None else [] for future in futures]
        except BrokenProcessPool:
            self.close()
            raise

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([__name__])
            self._executor = ProcessPoolExecutor(
                max_workers=self.processes, mp_context=context, initializer=_process_start
            )
        return self._executor

    def close(self) -> None:
        """Stop the face processes. After one was killed, a process started meanwhile can wait forever on a queue
        the dead one left locked, and hold its pipe open; the pool's thread then waits for it, and so does the
        interpreter's exit. So every process still running is stopped by force."""
        executor, self._executor = self._executor, None
        if executor is None:
            return
        processes = list((executor._processes or {}).values())  # the executor forgets them on shutdown
        executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.terminate()


def _process_start() -> None:
    """A face process does background work: it runs only on a core nothing else wants (SCHED_IDLE, a stronger
    yield than the worker's nice value: uploads and queries preempt it at once), then loads its models."""
    with contextlib.suppress(AttributeError, OSError):  # not Linux
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    face_model()


def _find_in_process(image: Image.Image, pixels: int) -> list[Found]:
    """One photo's faces; a photo the model fails on has none, so it cannot hold back the others of its task."""
    try:
        return face_model().find(image, pixels=pixels)
    except Exception:
        logger.warning("Faces pass: no faces for a %s×%s image the model failed on", *image.size, exc_info=True)
        return []


def _resized(image: Image.Image, pixels: int) -> Image.Image:
    size = detect_size(*image.size, pixels=pixels)
    if size == image.size:
        return image
    return image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)


def _crop_jpeg(image: Image.Image, fraction: tuple[float, float, float, float]) -> bytes:
    """A square crop around the face with some margin, CROP_SIDE px, as JPEG (no metadata)."""
    x, y, w, h = (
        fraction[0] * image.width,
        fraction[1] * image.height,
        fraction[2] * image.width,
        fraction[3] * image.height,
    )
    side = max(w, h) * 1.5
    cx, cy = x + w / 2, y + h / 2
    left, top = max(0, round(cx - side / 2)), max(0, round(cy - side / 2))
    right, bottom = min(image.width, round(cx + side / 2)), min(image.height, round(cy + side / 2))
    crop = image.crop((left, top, max(right, left + 1), max(bottom, top + 1)))
    crop.thumbnail((CROP_SIDE, CROP_SIDE), Image.Resampling.BILINEAR)
    out = io.BytesIO()
    crop.convert("RGB").save(out, "JPEG", quality=85)
    return out.getvalue()


# Grouping -----------------------------------------------------------------------------------------------

# Two faces closer than this are taken for one person (dlib's own threshold is 0.6; lower trades recall for
# the precision a gallery needs: merging two people is worse than splitting one). bench.faces measures it.
SAME_PERSON = 0.5
_BLOCK = 2048  # rows of a distance block: 2048 × 100k float32 is 800 MB, so the columns are blocked too


def nearest(queries: np.ndarray, references: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each query descriptor: the index of the nearest reference and its euclidean distance (inf, -1 when
    there are no references)."""
    queries, references = _as_matrix(queries), _as_matrix(references)
    best = np.full(len(queries), np.inf, dtype=np.float32)
    where = np.full(len(queries), -1, dtype=np.int64)
    for start in range(0, len(references), _BLOCK):
        block = references[start : start + _BLOCK]
        for row in range(0, len(queries), _BLOCK):
            distances = _distances(queries[row : row + _BLOCK], block)
            index = distances.argmin(axis=1)
            value = distances[np.arange(len(index)), index]
            better = value < best[row : row + _BLOCK]
            best[row : row + _BLOCK][better] = value[better]
            where[row : row + _BLOCK][better] = index[better] + start
    return where, best


def group(descriptors: np.ndarray, *, threshold: float = SAME_PERSON) -> np.ndarray:
    """Chinese whispers over the graph of descriptors closer than ``threshold``: one label per descriptor
    (dlib's implementation, seeded, so the same input gives the same labels)."""
    descriptors = _as_matrix(descriptors)
    count = len(descriptors)
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    edges = [(i, i) for i in range(count)]  # every face is a node, even alone
    for row in range(0, count, _BLOCK):
        distances = _distances(descriptors[row : row + _BLOCK], descriptors)
        for i, j in zip(*np.nonzero(distances < threshold), strict=True):
            if row + i < j:
                edges.append((int(row + i), int(j)))
    return np.asarray(dlib.chinese_whispers(edges), dtype=np.int64)


def _as_matrix(descriptors) -> np.ndarray:
    return np.asarray(descriptors, dtype=np.float32).reshape(-1, DESCRIPTOR_SIZE)


def _distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    squared = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * (a @ b.T)
    return np.sqrt(np.maximum(squared, 0.0))


def descriptor_bytes(descriptor: np.ndarray) -> bytes:
    return np.asarray(descriptor, dtype="<f4").tobytes()


def descriptor_from_bytes(raw: bytes) -> np.ndarray:
    return np.frombuffer(raw, dtype="<f4")
