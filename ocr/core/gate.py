"""The cheap first look: does a photo probably hold text? Only photos that pass are read (reader.py).

Two kinds of evidence, either one enough:
- the look of the thumbnail: text is rows of small, high-contrast marks of one height, side by side. We binarise
  the greyscale thumbnail against its local mean (dark marks and light ones), keep the connected components
  shaped like characters, and count those with a neighbour of about the same height on about the same line;
- the image model's class probabilities, when the caller has them: classes whose photos nearly always hold text
  (website, menu, dust jacket, crossword, envelope, …).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter
from scipy import ndimage

GATE_VERSION = 1  # part of the engine key: changing the gate re-runs the text pass
GATE_SIDE = 640  # longer side the measure works at, px
# Image model classes (as the gallery names its tags) whose photos nearly always hold written words.
TEXT_CLASSES = frozenset(
    {
        "website", "dust jacket", "crossword", "envelope", "comic book", "scoreboard", "traffic", "product packet",
        "ring binder", "menu", "monitor", "television", "desktop computer", "laptop computer", "notebook computer",
        "bookstore", "library", "payphone", "vending machine", "mobile phone", "hand-held computer", "tobacco shop",
        "toy store", "grocery store", "candy store", "shoe store", "barbershop", "slide rule", "digital clock",
        "odometer", "pill bottle", "lotion", "sunscreen", "photocopier", "printer", "mailbox", "moving van",
        "police van", "trolleybus", "parking meter", "ruler measuring stick",
    }
)  # fmt: skip
MIN_CHAIN = 4  # marks in a row that make a line of text
CLASS_THRESHOLD = 0.2  # summed probability of text classes at or above which a photo is read regardless


@dataclass(frozen=True)
class Verdict:
    read: bool
    score: float  # the thumbnail measure: character-like marks in rows
    class_score: float  # summed probability of text classes (0 when the caller had none)


def text_marks(image: Image.Image) -> int:
    """How many character-like marks sit in rows with others of their height: 0 for most photos without text."""
    gray = image.convert("L")
    scale = GATE_SIDE / max(gray.size)
    if scale < 1:
        gray = gray.resize((max(1, round(gray.width * scale)), max(1, round(gray.height * scale))), Image.BILINEAR)
    pixels = np.asarray(gray, dtype=np.float32)
    local = np.asarray(gray.filter(ImageFilter.BoxBlur(7)), dtype=np.float32)
    contrast = max(12.0, float(pixels.std()) * 0.25)
    return sum(_marks_in_rows(mask) for mask in (pixels < local - contrast, pixels > local + contrast))


def _marks_in_rows(mask: np.ndarray) -> int:
    labels, count = ndimage.label(mask)
    if count == 0:
        return 0
    boxes = ndimage.find_objects(labels)
    areas = np.bincount(labels.ravel(), minlength=count + 1)[1:]
    tops = np.array([b[0].start for b in boxes])
    lefts = np.array([b[1].start for b in boxes])
    heights = np.array([b[0].stop - b[0].start for b in boxes])
    widths = np.array([b[1].stop - b[1].start for b in boxes])
    fill = areas / np.maximum(heights * widths, 1)
    glyph = (heights >= 4) & (heights <= 80) & (widths >= 1) & (widths <= heights * 2.5) & (fill > 0.12) & (fill < 0.95)
    glyph &= areas >= 6
    idx = np.flatnonzero(glyph)
    if len(idx) < 3:
        return 0
    centres = tops[idx] + heights[idx] / 2
    h = heights[idx].astype(np.float32)
    left, right = lefts[idx], lefts[idx] + widths[idx]
    order = np.argsort(left)
    centres, h, left, right = centres[order], h[order], left[order], right[order]
    # Links: the nearest mark to the right within one height, centre within a quarter of a height, height within
    # 25%. Text makes chains of such links along its lines; textures (grass, gravel) rarely make long ones.
    nxt = np.full(len(idx), -1)
    for i in range(len(idx)):
        j = i + 1
        while j < len(idx) and left[j] <= right[i] + h[i]:
            if (
                abs(centres[j] - centres[i]) < h[i] / 4
                and abs(h[j] - h[i]) < 0.25 * max(h[i], h[j])
                and left[j] >= right[i] - h[i] * 0.1
                and (nxt[i] < 0 or left[j] < left[nxt[i]])
            ):
                nxt[i] = j
            j += 1
    has_prev = np.zeros(len(idx), dtype=bool)
    has_prev[nxt[nxt >= 0]] = True
    marks = 0
    for start in np.flatnonzero(~has_prev & (nxt >= 0)):
        length, i = 1, start
        while nxt[i] >= 0 and length < 200:
            i, length = nxt[i], length + 1
        if length >= MIN_CHAIN:
            marks += length
    return marks


def verdict(*, image: Image.Image, class_probabilities: Mapping[str, float] | None = None, threshold: int) -> Verdict:
    """Read the photo when its thumbnail shows ``threshold`` or more marks in rows, or the model saw text."""
    class_score = sum(p for name, p in (class_probabilities or {}).items() if name.lower() in TEXT_CLASSES)
    score = text_marks(image)
    return Verdict(read=score >= threshold or class_score >= CLASS_THRESHOLD, score=score, class_score=class_score)
