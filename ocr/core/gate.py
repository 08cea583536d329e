"""The cheap first look: does a photo probably hold text, and where? Only photos that pass are read (reader.py).

Three kinds of evidence, any one enough:
- lines found by a learned text detector (detector.py): blurred, handwritten or faint text on a busy ground,
  which the marks below miss;
- the look of a small copy of the photo: text is rows of small, high-contrast marks of one height, side by side.
  We binarise the greyscale image against its local mean (dark marks and light ones), keep the connected
  components shaped like characters, and link each to the nearest one to its right of about the same height on
  about the same line. Chains of four or more links are scored (line_score) by what lines of text have and chains
  through a texture (grass, gravel, fur) lack: a plain ground around and between the marks, even strokes,
  heights and gaps. Copies at a half and a quarter of the size find lines of large letters. The lines found also
  tell the reader where to look, how the text is tilted and whether its ink is dark;
- the image model's class probabilities, when the caller has them: classes whose photos nearly always hold text
  (website, menu, dust jacket, crossword, envelope, …).

A photo whose best chain falls just short is a near miss (Verdict.near): the caller reads its best lines, and
reads it in full when they hold a sure word (confirms).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np
from PIL import Image, ImageFilter
from scipy import ndimage
from scipy.spatial import cKDTree

from . import detector
from .lines import Line, Word

GATE_VERSION = 7  # part of the engine key: changing the gate re-runs the text pass
GATE_SIDE = 1200  # longer side the measure works at, px: letters of 12-16 px in a photo stay 4+ px tall
MIN_CHAIN = 4  # linked marks that make a line of text
NEIGHBOURS = 6  # nearest marks considered as the next one on a line
MAX_GAP = 0.6  # letters and words of a line: gaps up to this share of the taller mark's height
MAX_RATIO = 1.7  # x-height letters next to ascenders (a, l): heights differ up to this
ALIGN = 0.3  # shared baseline or top: within this share of the smaller mark's height (tilted lines drift)
COARSE = (2, 4)  # copies this many times smaller find large letters, whose strokes outgrow the local window
LOW_CONTRAST = 0.25  # marks: pixels this many standard deviations of the image from their neighbourhood's mean
HIGH_CONTRAST = 0.6  # ... and, on the coarse copies, this many too
INK_SPREAD = 12.0  # grey levels: the marks of a line of text are of one ink (standard deviation below this)
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
# A line's text score (line_score): logistic weights over line_vector, fitted by bench.ocr_gate_fit on rendered
# words (bench seeds 1-4) and the same sample photos without text; docs/ocr.md has the figures.
LINE_WEIGHTS = np.array([-3.188, 3.45, -1.694, -0.734, -3.009, -7.223, 4.465, -2.388, -1.883, 2.068, 3.388, -2.065])
TEXT_SCORE = 0.0  # a photo the detector passed over is read when its best chain scores this (log-odds): the best
# recall on the fit seeds that leaves every one of them skipping 75% of its photos without text (the target is 70%)
LINE_FLOOR = -3.0  # lines scoring below this are dropped; those between are read once the photo is read
# A photo whose best chain falls short of TEXT_SCORE by little is a near miss: faint, blurred or small words on a
# busy ground score there, and so do textures. Its best CONFIRM_LINES chains are read, and one sure word
# (CONFIRM_LETTERS letters at least, each read CONFIRM_SURE surely) makes it read in full. Textures yield short
# or unsure strings.
CONFIRM_SCORE = -2.0
CONFIRM_LINES = 3
CONFIRM_LETTERS = 4
CONFIRM_SURE = 0.8
CLASS_THRESHOLD = 0.2  # summed probability of text classes at or above which a photo is read regardless


@dataclass(frozen=True)
class Verdict:
    read: bool
    score: float  # the best line's text score (line_score, or the detector's log-odds), LINE_FLOOR without lines
    class_score: float  # summed probability of text classes (0 when the caller had none)
    lines: list[Line] = field(default_factory=list)  # in the gate image's coordinates, scaled to the photo's
    size: tuple[int, int] = (0, 0)  # the gate image's size, to scale ``lines`` to another copy of the photo
    near: bool = False  # not read outright, but a near miss: read when its best lines hold a sure word (confirm)

    def confirming(self) -> Verdict:
        """The near miss reduced to what confirms it: its best lines."""
        return replace(self, lines=self.lines[:CONFIRM_LINES])

    def confirmed(self) -> Verdict:
        return replace(self, read=True, near=False)


def confirms(words: Iterable[Word]) -> bool:
    """Whether the words read on a near miss's best lines hold a sure word (see CONFIRM_SCORE)."""
    return any(
        len(letters := "".join(c for c in word.text if c.isalpha())) >= CONFIRM_LETTERS
        and letters == word.text.strip(".,;:!?'\"()")
        and word.confidence >= CONFIRM_SURE
        for word in words
    )


def text_lines(image: Image.Image) -> tuple[list[Line], tuple[int, int]]:
    """Probable lines of text in the image (worked on at GATE_SIDE at most), and the size they refer to."""
    gray = image.convert("L")
    scale = GATE_SIDE / max(gray.size)
    if scale < 1:
        gray = gray.resize((max(1, round(gray.width * scale)), max(1, round(gray.height * scale))), Image.BILINEAR)
    found = _scan(gray, contrast=LOW_CONTRAST)
    # Large letters (strokes wider than the local window) fall apart at this scale: copies at a half and a
    # quarter of the size find them. There a second, stricter threshold too: large letters on a busy ground
    # touch its marks at the low one.
    for shrink in COARSE:
        small = gray.resize((max(1, gray.width // shrink), max(1, gray.height // shrink)), Image.BOX)
        factor = gray.width / small.width
        for contrast in (LOW_CONTRAST, HIGH_CONTRAST):
            found += [
                replace(line, box=tuple(v * factor for v in line.box), height=line.height * factor)
                for line in _scan(small, contrast=contrast)
            ]
    # One finding per place: the most text-like.
    lines: list[Line] = []
    for line in sorted(found, key=lambda line: -line.score):
        if not any(_same(line, other) for other in lines):
            lines.append(line)
    return lines, gray.size


def _scan(gray: Image.Image, *, contrast: float) -> list[Line]:
    """Lines of dark and of light marks: pixels darker (lighter) than their neighbourhood by ``contrast`` of the
    image's standard deviation (12 grey levels at least)."""
    pixels = np.asarray(gray, dtype=np.float32)
    local = np.asarray(gray.filter(ImageFilter.BoxBlur(7)), dtype=np.float32)
    step = max(12.0, float(pixels.std()) * contrast)
    return [
        line
        for dark, mask in ((True, pixels < local - step), (False, pixels > local + step))
        for line in _lines(mask, pixels, dark=dark)
    ]


def _reach(chain: Line, overlapping: list[Line]) -> tuple[float, float, float, float]:
    """The chain's box grown to the ends of the detector's lines that run along it (their middle within its box:
    not the line above or below, whose box a widened detector line may touch). Its top and bottom stay: the reader
    centres its band, and finds the neighbouring lines, from them."""
    left, top, right, bottom = chain.box
    for other in overlapping:
        if top <= (other.box[1] + other.box[3]) / 2 <= bottom:
            left, right = min(left, other.box[0]), max(right, other.box[2])
    return left, top, right, bottom


def _same(a: Line, b: Line) -> bool:
    """Two findings of one line: overlapping boxes."""
    return a.box[0] < b.box[2] and b.box[0] < a.box[2] and a.box[1] < b.box[3] and b.box[1] < a.box[3]


def _lines(mask: np.ndarray, pixels: np.ndarray, *, dark: bool) -> list[Line]:
    labels, count = ndimage.label(mask)
    if count == 0:
        return []
    boxes = ndimage.find_objects(labels)
    areas = np.bincount(labels.ravel(), minlength=count + 1)[1:]
    tops = np.array([b[0].start for b in boxes])
    lefts = np.array([b[1].start for b in boxes])
    heights = np.array([b[0].stop - b[0].start for b in boxes])
    widths = np.array([b[1].stop - b[1].start for b in boxes])
    fill = areas / np.maximum(heights * widths, 1)
    glyph = (heights >= 4) & (heights <= 120) & (widths <= heights * 2.5) & (fill > 0.12) & (fill < 0.95)
    idx = np.flatnonzero(glyph & (areas >= 6))
    if len(idx) < MIN_CHAIN:
        return []
    order = idx
    # Stroke width of each mark: twice its area over its outline.
    inner = np.zeros_like(mask)  # marked pixels whose four neighbours are marked too
    inner[1:-1, 1:-1] = mask[1:-1, 1:-1] & mask[:-2, 1:-1] & mask[2:, 1:-1] & mask[1:-1, :-2] & mask[1:-1, 2:]
    outline = np.bincount(labels[mask & ~inner], minlength=count + 1)[1:]
    stroke = (2 * areas / np.maximum(outline, 1))[order].astype(np.float32)
    # Ink of each mark: letters of one line share a pen; blobs of a texture differ.
    ink = (np.bincount(labels.ravel(), weights=pixels.ravel(), minlength=count + 1)[1:] / areas)[order]
    ink = ink.astype(np.float32)
    h = heights[order].astype(np.float32)
    top = tops[order].astype(np.float32)
    bottom = top + h
    centres = top + h / 2
    left = lefts[order].astype(np.float32)
    right = left + widths[order]
    # Links: each mark to the nearest of its neighbours that starts to its right within one height and shares
    # its baseline or its top (x-height letters, ascenders and descenders mix in a word) at a height within 2.2×.
    tree = cKDTree(np.column_stack([(left + right) / 2, centres]))
    k = min(NEIGHBOURS + 1, len(order))
    _, near = tree.query(np.column_stack([(left + right) / 2, centres]), k=k)
    near = near[:, 1:]
    small = np.minimum(h[:, None], h[near])
    large = np.maximum(h[:, None], h[near])
    gap = left[near] - right[:, None]
    ok = (
        (gap >= -0.15 * small)
        & (gap <= MAX_GAP * large)
        & (large <= MAX_RATIO * small)
        & (
            (np.abs(bottom[near] - bottom[:, None]) < ALIGN * small)
            | (np.abs(top[near] - top[:, None]) < ALIGN * small)
        )
    )
    gap = np.where(ok, gap, np.inf)
    best = np.argmin(gap, axis=1)
    nxt = np.where(np.isfinite(gap[np.arange(len(order)), best]), near[np.arange(len(order)), best], -1)
    # Two marks may pick the same next one: keep the closer, so chains stay paths.
    taken: dict[int, int] = {}
    for i in np.flatnonzero(nxt >= 0):
        j = int(nxt[i])
        if j in taken and right[taken[j]] >= right[i]:
            nxt[i] = -1
            continue
        if j in taken:
            nxt[taken[j]] = -1
        taken[j] = int(i)
    has_prev = np.zeros(len(order), dtype=bool)
    has_prev[nxt[nxt >= 0]] = True
    found = []  # (line, its marks' labels)
    for start in np.flatnonzero(~has_prev & (nxt >= 0)):
        chain, i = [start], start
        while nxt[i] >= 0 and len(chain) < len(order):
            i = nxt[i]
            chain.append(i)
        if len(chain) < MIN_CHAIN:
            continue
        chain = np.array(chain)
        if ink[chain].std() > INK_SPREAD:
            continue
        xs = (left[chain] + right[chain]) / 2
        # Text's marks are drawn by one pen on a plain ground: similar heights and stroke widths, even gaps, and
        # a ground between them that varies little against the ink's contrast (a texture's ground is busy).
        mid = float(np.median(h[chain]))
        x0, y0, x1, y1 = (
            int(left[chain].min()),
            int(top[chain].min()),
            int(right[chain].max()),
            int(bottom[chain].max()),
        )
        ground = pixels[y0:y1, x0:x1][labels[y0:y1, x0:x1] == 0]
        ground_noise = (
            float(ground.std()) / max(abs(float(ink[chain].mean() - ground.mean())), 1.0) if ground.size else 0.0
        )
        features = (
            float(h[chain].std()) / mid,
            float(stroke[chain].std() / max(float(stroke[chain].mean()), 1e-3)),
            float(np.median(stroke[chain])) / mid,
            ground_noise,
            float((np.maximum(left[chain][1:] - right[chain][:-1], 0) / mid).std()),
            float(fill[order][chain].mean()),
            mid,
        )
        slope = np.polyfit(xs, centres[chain], 1)[0] if np.ptp(xs) > 0 else 0.0
        found.append(
            (
                Line(
                    box=(
                        float(left[chain].min()),
                        float(top[chain].min()),
                        float(right[chain].max()),
                        float((top[chain] + h[chain]).max()),
                    ),
                    height=float(np.median(h[chain])),
                    angle=float(-np.degrees(np.arctan(slope))),
                    marks=len(chain),
                    dark=dark,
                    features=features,
                ),
                order[chain] + 1,
            )
        )
    # Text stands on a plain ground: around a line (one letter height each way) the marks are letters of it or
    # of the lines next to it. A chain in a texture is one of many marks there (grass, gravel, fur).
    chained = np.zeros(count + 1, dtype=bool)
    for _, members in found:
        chained[members] = True
    lines = []
    for line, _ in found:
        pad = line.height
        x0, y0 = max(0, int(line.box[0] - pad)), max(0, int(line.box[1] - pad))
        x1, y1 = int(line.box[2] + pad) + 1, int(line.box[3] + pad) + 1
        around = labels[y0:y1, x0:x1]
        marked = around[around > 0]
        isolation = float(chained[marked].mean()) if marked.size else 1.0
        score = line_score(isolation=isolation, marks=line.marks, features=line.features)
        if score >= LINE_FLOOR:
            lines.append(replace(line, isolation=isolation, score=score))
    return lines


def line_vector(*, isolation: float, marks: int, features: tuple[float, ...]) -> np.ndarray:
    """A line's description for the score: FEATURES' order, logs where a feature spans orders of size."""
    height_spread, stroke_spread, stroke_share, ground_noise, gap_spread, fill, height = features
    stroke_log = math.log(stroke_share + 0.02) - math.log(0.22)  # letters: strokes about a fifth of their height
    return np.array(
        [
            1.0,
            math.log(max(isolation, 0.02)),
            math.log(ground_noise + 0.05),
            math.log(stroke_spread + 0.03),  # small marks measure no finer
            height_spread,
            gap_spread,
            math.log(marks),
            stroke_log,
            stroke_log * stroke_log,
            fill,
            fill * fill,
            math.log(max(height, 1.0)),
        ]
    )


def line_score(*, isolation: float, marks: int, features: tuple[float, ...]) -> float:
    """Log-odds that a chain of marks is a line of text rather than a texture (logistic, LINE_WEIGHTS)."""
    return float(line_vector(isolation=isolation, marks=marks, features=features) @ LINE_WEIGHTS)


def verdict(
    *, image: Image.Image, class_probabilities: Mapping[str, float] | None = None, threshold: float = TEXT_SCORE
) -> Verdict:
    """Read the photo when the detector found a line of text, when the most text-like chain of marks scores
    ``threshold`` or more, or when the model saw text."""
    class_score = sum(p for name, p in (class_probabilities or {}).items() if name.lower() in TEXT_CLASSES)
    chains, size = text_lines(image)
    factor = size[0] / image.width
    found = [
        replace(line, box=tuple(v * factor for v in line.box), height=line.height * factor)
        for line in detector.text_lines(image)
    ]
    chain_score = max((line.score for line in chains), default=LINE_FLOOR)
    # One finding per place. Where a chain of marks and the detector agree, the chain's height, tilt and ink are
    # kept (measured on the letters themselves; the reader is tuned to them) with the surer score, and its box
    # reaches as far as the detector's line: a chain often starts a few letters into a word ("umn" of autumn).
    # The detector's other lines are added.
    lines = [
        replace(
            line,
            box=_reach(line, [other for other in found if _same(line, other)]),
            score=max([line.score, *(other.score for other in found if _same(line, other))]),
        )
        for line in chains
    ]
    lines += [line for line in found if not any(_same(line, other) for other in chains)]
    read = bool(found) or chain_score >= threshold or class_score >= CLASS_THRESHOLD
    return Verdict(
        read=read,
        near=not read and chain_score >= CONFIRM_SCORE,
        score=max((line.score for line in lines), default=LINE_FLOOR),
        class_score=class_score,
        lines=sorted(lines, key=lambda line: -line.score),
        size=size,
    )
