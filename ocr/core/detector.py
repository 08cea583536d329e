"""A learned text detector: where lines of text are, whatever their ground, tilt or hand.

The mark chains of gate.text_lines need letters that stand apart on a plain ground; blurred, handwritten or
textured text falls through them. PaddleOCR's PP-OCRv4 detector (a DBNet, 4.7 MB, Apache-2.0, paddle.py) marks
each pixel with the probability that it lies in text.

Its map is cut at MAP_THRESHOLD; each connected area is a candidate line, kept when the map is sure of it
(LINE_PROBABILITY) and it is shaped like a line of text: longer than thick, thick enough to hold letters, not
upright. Upright areas are mostly edges, fur and stripes; words written upright are rare in photos.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image
from scipy import ndimage

from . import paddle
from .levels import otsu
from .lines import Line

DETECT_SIDE = 960  # longer side the detector sees, px (a multiple of 32): words of 20 px in a photo stay legible
MAP_THRESHOLD = 0.3  # a pixel belongs to a text area above this probability (PaddleOCR's own)
LINE_PROBABILITY = 0.8  # an area is a line of text when the map's mean over it reaches this
MIN_ELONGATION = 1.5  # ... and it is this many times longer than thick (a word of two letters is)
MIN_THICKNESS = 4  # ... and at least this thick at DETECT_SIDE, px
MAX_TILT = 30.0  # ... and tilted less than this, degrees
UNCLIP = 1.6  # PaddleOCR's: how far beyond the map's core a line's letters reach (× area / perimeter)
X_HEIGHT = 0.5  # without letters to measure, the letter height is this share of the widened line's thickness
LETTER_WIDTH = 1.0  # letters per area: its length over this many letter heights (the reader weighs lines by it)
MODEL = "models/ch_PP-OCRv4_det_infer.onnx"
# The network was trained on images read by OpenCV (BGR), normalised with ImageNet's statistics in that order.
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def probability_map(image: Image.Image) -> tuple[np.ndarray, float]:
    """The detector's text probability per pixel of a copy DETECT_SIDE long, and that copy's scale."""
    rgb = image.convert("RGB")
    scale = DETECT_SIDE / max(rgb.size)
    width = max(32, round(rgb.width * scale / 32) * 32)
    height = max(32, round(rgb.height * scale / 32) * 32)
    pixels = np.asarray(rgb.resize((width, height), Image.BILINEAR), dtype=np.float32)[:, :, ::-1] / 255.0
    batch = ((pixels - MEAN) / STD).transpose(2, 0, 1)[None]
    session = paddle.session(MODEL)
    out = session.run(None, {session.get_inputs()[0].name: np.ascontiguousarray(batch)})[0]
    return out[0, 0], width / rgb.width


def text_lines(image: Image.Image) -> list[Line]:
    """Lines of text the detector is sure of, in the coordinates of ``image``."""
    probability, scale = probability_map(image)
    gray = np.asarray(image.convert("L"))
    mask = ndimage.binary_dilation(probability > MAP_THRESHOLD, structure=np.ones((2, 2), bool))
    labels, _ = ndimage.label(mask)
    lines = []
    for index, where in enumerate(ndimage.find_objects(labels), 1):
        area = labels[where] == index
        if area.sum() < MIN_THICKNESS * MIN_THICKNESS:
            continue
        sure = float(probability[where][area].mean())
        ys, xs = np.nonzero(area)
        points = np.stack([xs, ys], axis=1).astype(np.float64)
        _, axes = np.linalg.eigh(np.cov(points.T))
        along, across = points @ axes[:, 1], points @ axes[:, 0]
        length, thickness = float(np.ptp(along)) + 1, float(np.ptp(across)) + 1
        # Image rows grow downward; Line.angle is counter-clockwise positive, as PIL rotates.
        tilt = -math.degrees(math.atan2(axes[1, 1], axes[0, 1]))
        tilt = (tilt + 90) % 180 - 90
        if (
            sure < LINE_PROBABILITY
            or length < MIN_ELONGATION * thickness
            or thickness < MIN_THICKNESS
            or abs(tilt) > MAX_TILT
        ):
            continue
        # The map marks a line's core; PaddleOCR widens it by area × UNCLIP / perimeter to reach the letters' edges.
        pad = area.sum() * UNCLIP / (2 * (length + thickness))
        box = (
            max(0.0, (where[1].start - pad) / scale),
            max(0.0, (where[0].start - pad) / scale),
            min(float(image.width), (where[1].stop + pad) / scale),
            min(float(image.height), (where[0].stop + pad) / scale),
        )
        dark = _dark_ink(gray, box)
        height = _letter_height(gray, box, dark=dark) or X_HEIGHT * (thickness + 2 * pad) / scale
        lines.append(
            Line(
                box=box,
                height=height,
                angle=tilt,
                marks=max(2, round(length / scale / (LETTER_WIDTH * height))),
                dark=dark,
                score=math.log(sure / (1 - sure)) if sure < 1 else 10.0,
            )
        )
    return lines


def _letter_height(gray: np.ndarray, box: tuple[float, ...], *, dark: bool) -> float | None:
    """The median height of the letters in ``box`` (the reader's scale, as the gate's median mark), or None."""
    left, top, right, bottom = (round(v) for v in box)
    pixels = gray[max(0, top) : max(1, bottom), max(0, left) : max(1, right)]
    if pixels.size < 16:
        return None
    level = otsu(pixels)
    labels, _ = ndimage.label(pixels <= level if dark else pixels > level)
    band = pixels.shape[0]
    # Letters: marks neither specks nor the ground (a mark as tall as the box is the ground between letters).
    heights = [
        where[0].stop - where[0].start
        for where in ndimage.find_objects(labels)
        if 0.2 * band <= where[0].stop - where[0].start < 0.9 * band and where[1].stop - where[1].start < band
    ]
    return float(np.median(heights)) if len(heights) >= 2 else None


def _dark_ink(gray: np.ndarray, box: tuple[float, ...]) -> bool:
    """Whether the text in ``box`` is darker than its ground: ink is the smaller side of Otsu's split."""
    left, top, right, bottom = (round(v) for v in box)
    pixels = gray[max(0, top) : max(1, bottom), max(0, left) : max(1, right)]
    if pixels.size < 4:
        return True
    return int((pixels <= otsu(pixels)).sum()) * 2 <= pixels.size
