"""Reading: the words of a photo with their confidence and box, by Tesseract (tesserocr, in process).

tesserocr was chosen over pytesseract by measurement (docs/ocr.md): in process it skips a subprocess and an image
file per photo, 3–10× less time per photo on this machine for the same words.

Tesseract reads pages well and photos badly: its page layout treats a sign in a street scene as picture, and it
expects level lines. So where the gate found lines of text (gate.Line) we read only there: each group of lines
is cut out of the photo, straightened by its lines' tilt, enlarged when its letters are small, and read as one
block. Photos the gate passed without lines (the image model saw text) are read whole.
"""

from __future__ import annotations

import functools
import glob
import math
import os
import threading
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import tesserocr
from PIL import Image, ImageFilter, ImageOps
from scipy import ndimage

from . import recogniser
from .gate import GATE_VERSION, Line
from .levels import otsu
from .lines import Word

READ_SIDE = 2400  # longer side a photo is read at: small text of a 12 MP photo survives, time stays bounded
LETTER_PX = 18  # a line's letters (the gate's median mark: about the x-height) are scaled to this many px
MAX_ENLARGE = 3.0  # small letters are enlarged at most this much
PAGE_SHARE = 0.3  # a region this large (share of the photo) ...
PAGE_LINES = 3  # ... of at least this many lines is a page: read with Tesseract's page layout
REGION_PAD = (3.0, 1.0)  # a line's region reaches this many letter heights beyond it: ends may be unlinked
MERGE_HEIGHT = 1.6  # lines merge into one region when their letter heights differ less than this ratio
MERGE_ANGLE = 4.0  # ... and their tilts less than this, degrees
PSM_LINE = tesserocr.PSM.SINGLE_LINE  # a cut-out line: the page layout would call it a picture
PSM_PAGE = tesserocr.PSM.AUTO
MARGIN = 0.5  # a line is framed by this many LETTER_PX of blank ground
STROKE = 0.6  # the ground is taken over this many letter heights: wider than any stroke
TALL = 1.9  # binarised marks taller than this many letter heights are ground, not letters
BAND = 1.1  # a line's band reaches this many letter heights above and below its centre
LINE_PITCH = 2.6  # a neighbouring line of a block is about this many letter heights away
NEIGHBOUR_CONFIDENCE = 0.6  # a line read this surely (a word of 3+ letters) has its neighbours read too
MAX_READS = 16  # Tesseract calls (lines, pages) per photo at most, most text-like first: bounds what textures cost
TIGHT = 1.5  # a second reading of an unsure line spans its marks and this many letter heights beyond
THIN = 0.15  # ... and once more without ink thinner than this many letter heights
SURE = 0.8  # a region's first reading whose every word is this sure (0–1) needs no second one
SECOND_SURE = 0.8  # words of the second reader (recogniser.py) below this (0–1) are mostly a texture's noise
SECOND_PAD = 1.0  # its tight reading spans the line's marks and this many letter heights beyond
MIN_CONFIDENCE = 30.0  # words below this (0–100) are mostly noise Tesseract finds in textures
SETTINGS_VERSION = 8  # bump when the reading settings above change: photos are read again
# Tesseract's data folders as Debian installs them; OCR_TESSDATA_DIR overrides.
TESSDATA_GLOBS = ("/usr/share/tesseract-ocr/*/tessdata", "/usr/share/tessdata")


@dataclass(frozen=True)
class Region:
    box: tuple[int, int, int, int]  # left, top, right, bottom in the read image's pixels
    height: float  # letter height, px
    angle: float  # tilt, degrees
    dark: bool  # dark ink
    members: tuple[Line, ...]


def tessdata_dir() -> str:
    """Where the language files are: OCR_TESSDATA_DIR, else the first Debian folder holding eng.traineddata."""
    if configured := os.environ.get("OCR_TESSDATA_DIR"):
        return configured
    unpacked = Path(__file__).resolve().parents[2] / ".venv" / "system"  # scripts/ensure-system.sh without root
    for pattern in (*TESSDATA_GLOBS, *(str(unpacked) + p for p in TESSDATA_GLOBS)):
        for folder in sorted(glob.glob(pattern), reverse=True):
            if Path(folder, "eng.traineddata").exists():
                return folder
    raise RuntimeError("No Tesseract language data found: install tesseract-ocr-eng or set OCR_TESSDATA_DIR")


@functools.cache
def installed_languages() -> tuple[str, ...]:
    """Languages the installed data can read (``osd`` is orientation data, not a language)."""
    return tuple(sorted(p.stem for p in Path(tessdata_dir()).glob("*.traineddata") if p.stem != "osd"))


def engine_key() -> str:
    """What a stored reading depends on besides its languages: when this changes, photos are read again."""
    version = tesserocr.tesseract_version().split()[1]
    return f"tesseract-{version}/s{SETTINGS_VERSION}/g{GATE_VERSION}"


_local = threading.local()  # a Tesseract API is not thread-safe: one per thread, language set and layout mode


def _api(languages: str, psm: int) -> tesserocr.PyTessBaseAPI:
    apis = getattr(_local, "apis", None)
    if apis is None:
        apis = _local.apis = {}
    if (languages, psm) not in apis:
        apis[languages, psm] = tesserocr.PyTessBaseAPI(path=tessdata_dir(), lang=languages, psm=psm)
    return apis[languages, psm]


def read(
    image: Image.Image,
    *,
    languages: tuple[str, ...] = ("eng",),
    lines: list[Line] | None = None,
    lines_size: tuple[int, int] | None = None,
) -> list[Word]:
    """The words read in the image, boxes in the image's own pixels. ``lines`` (from the gate, in an image of
    ``lines_size``) say where to read; without them the whole image is read as a page."""
    work = image.convert("RGB")
    scale = READ_SIDE / max(work.size) if max(work.size) > READ_SIDE else 1.0
    if scale != 1.0:
        work = work.resize((max(1, round(work.width * scale)), max(1, round(work.height * scale))), Image.LANCZOS)
    joined = "+".join(languages)
    if not lines:
        words = _read_block(work, joined, PSM_PAGE)
    else:
        factor = work.width / lines_size[0] if lines_size and lines_size[0] else 1.0
        words, budget, seen = [], MAX_READS, list(lines)
        for region in _regions(lines, factor, work.size):
            if budget <= 0:
                break
            if _is_page(region, work.size):
                page = _read_page(work, joined, region)
                words += page
                budget -= 1
                if any(w.confidence >= NEIGHBOUR_CONFIDENCE and len(w.text) >= 3 for w in page):
                    continue
                # A few lines of large letters on a busy ground also cover a page's share, and the page layout
                # calls them a picture: they are read line by line too, as any other region (words read twice
                # are kept once, the surer reading).
            # Lines of text come in blocks, and the gate misses some lines of a block: a line that read well
            # has its neighbours (one line pitch above and below, same tilt and size) read too.
            queue = sorted(region.members, key=lambda m: m.box[1])
            while queue and budget > 0:
                line = queue.pop(0)
                found = _read_line(work, joined, line, factor)
                words += found
                budget -= 1
                if any(w.confidence >= NEIGHBOUR_CONFIDENCE and len(w.text) >= 3 for w in found):
                    for step in (-LINE_PITCH, LINE_PITCH):
                        neighbour = _neighbour(line, step)
                        if not any(_near(neighbour, other) for other in seen):
                            queue.append(neighbour)
                            seen.append(neighbour)
        words = _distinct(words)
    if scale == 1.0:
        return words
    return [
        Word(w.text, w.confidence, tuple(round(v / scale) for v in w.box), w.line_start)  # back to image pixels
        for w in words
    ]


def _neighbour(line: Line, step: float) -> Line:
    """The line ``step`` letter heights below ``line`` (above when negative), across its tilt."""
    a = math.radians(line.angle)
    dx, dy = step * line.height * math.sin(a), step * line.height * math.cos(a)
    left, top, right, bottom = line.box
    return replace(line, box=(left + dx, top + dy, right + dx, bottom + dy), marks=0)


def _near(a: Line, b: Line) -> bool:
    """Whether reading ``a`` would read ``b``'s line again: centres within a letter height across, and
    overlapping along."""
    ay, by = (a.box[1] + a.box[3]) / 2, (b.box[1] + b.box[3]) / 2
    return abs(ay - by) < max(a.height, b.height) and a.box[0] < b.box[2] and b.box[0] < a.box[2]


def merged(first: list[Word], second: list[Word]) -> list[Word]:
    """Two readings of one image as one: where both read a word, the surer reading is kept."""
    return _distinct(first + second)


def _distinct(words: list[Word]) -> list[Word]:
    """Words read twice (a line and its neighbour's band overlap): the surer reading of each is kept."""
    kept: list[Word] = []
    for word in sorted(words, key=lambda w: -w.confidence):
        x, y, w, h = word.box
        cx, cy = x + w / 2, y + h / 2
        if not any(
            abs(cx - (o.box[0] + o.box[2] / 2)) < o.box[2] / 2 and abs(cy - (o.box[1] + o.box[3] / 2)) < o.box[3] / 2
            for o in kept
        ):
            kept.append(word)
    order = {id(w): i for i, w in enumerate(words)}
    return sorted(kept, key=lambda w: order[id(w)])


def _regions(lines: list[Line], factor: float, size: tuple[int, int]) -> list[Region]:
    """Lines grouped into regions (nearby lines of one ink, tilt and letter size: a paragraph, a sign), in the
    read image's pixels, most text-like first. Lines that differ stay apart: one tilt and one scale serve a
    region, and a word straightened by its neighbour's tilt is lost."""
    groups: list[list] = []  # [left, top, right, bottom, members]
    pad_x, pad_y = REGION_PAD
    for line in sorted(lines, key=lambda m: -m.marks):
        h = line.height * factor
        left, top, right, bottom = (v * factor for v in line.box)
        groups.append([left - pad_x * h, top - pad_y * h, right + pad_x * h, bottom + pad_y * h, [line]])
    merged = True
    while merged:  # merge overlapping, compatible groups until none are left
        merged = False
        out: list[list] = []
        for group in groups:
            for other in out:
                if _overlap(group, other) and _compatible(group[4], other[4]):
                    other[:4] = [min(group[0], other[0]), min(group[1], other[1]), max(group[2], other[2]),
                                 max(group[3], other[3])]  # fmt: skip
                    other[4] += group[4]
                    merged = True
                    break
            else:
                out.append(group)
        groups = out
    regions = []
    groups.sort(key=lambda group: -max(m.score for m in group[4]))  # the gate's most text-like first
    for left, top, right, bottom, members in groups:
        weight = sum(m.marks for m in members)
        clipped = (max(0, round(left)), max(0, round(top)), min(size[0], round(right)), min(size[1], round(bottom)))
        if clipped[2] > clipped[0] and clipped[3] > clipped[1]:
            regions.append(
                Region(
                    box=clipped,
                    height=sum(m.height * m.marks for m in members) / weight * factor,
                    angle=sum(m.angle * m.marks for m in members) / weight,
                    dark=sum(m.marks for m in members if m.dark) * 2 >= weight,
                    members=tuple(members),
                )
            )
    return regions


def _overlap(a: list, b: list) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _compatible(a: list[Line], b: list[Line]) -> bool:
    """Two groups of lines that one tilt, one scale and one ink can read together."""
    ha = sum(m.height for m in a) / len(a)
    hb = sum(m.height for m in b) / len(b)
    aa = sum(m.angle for m in a) / len(a)
    ab = sum(m.angle for m in b) / len(b)
    return max(ha, hb) <= MERGE_HEIGHT * min(ha, hb) and abs(aa - ab) <= MERGE_ANGLE and a[0].dark == b[0].dark


def _is_page(region: Region, size: tuple[int, int]) -> bool:
    left, top, right, bottom = region.box
    return len(region.members) >= PAGE_LINES and (right - left) * (bottom - top) >= PAGE_SHARE * size[0] * size[1]


def _read_page(work: Image.Image, languages: str, region: Region) -> list[Word]:
    left, top, _, _ = region.box
    page = work.crop(region.box)
    return [_shift(w, left, top, 1.0, 0.0, page.size, page.size) for w in _read_block(page, languages, PSM_PAGE)]


def _read_line(work: Image.Image, languages: str, line: Line, factor: float) -> list[Word]:
    """One line of text: cut out with room for the ends the gate did not link, scaled to LETTER_PX, turned
    level, then only its band kept (the busy ground above and below is what makes Tesseract see a picture)."""
    h = line.height * factor
    left, top, right, bottom = (v * factor for v in line.box)
    pad_x, pad_y = REGION_PAD
    box = (
        max(0, round(left - pad_x * h)),
        max(0, round(top - pad_y * h)),
        min(work.width, round(right + pad_x * h)),
        min(work.height, round(bottom + pad_y * h)),
    )
    if box[2] <= box[0] or box[3] <= box[1]:
        return []
    crop = ImageOps.autocontrast(work.crop(box).convert("L"), cutoff=1)
    scale = min(MAX_ENLARGE, LETTER_PX / h)
    if scale != 1.0:
        crop = crop.resize((max(1, round(crop.width * scale)), max(1, round(crop.height * scale))), Image.BICUBIC)
    angle = line.angle if abs(line.angle) >= 1.0 else 0.0
    turned = crop.rotate(-angle, resample=Image.BICUBIC, expand=True, fillcolor=_edge_colour(crop)) if angle else crop
    # The line's centre, turned with the crop about the crop's centre, and its band around it.
    a = math.radians(angle)
    cx = ((left + right) / 2 - box[0]) * scale - crop.width / 2
    cy = ((top + bottom) / 2 - box[1]) * scale - crop.height / 2
    ty = cx * math.sin(a) + cy * math.cos(a) + turned.height / 2
    tx = cx * math.cos(a) - cy * math.sin(a) + turned.width / 2
    half = BAND * h * scale
    band_top, band_bottom = max(0, round(ty - half)), min(turned.height, round(ty + half))
    if band_bottom - band_top < 2:  # a neighbour beyond the photo's edge
        return []
    band = turned.crop((0, band_top, turned.width, band_bottom))
    # Tesseract's own binarisation (one Otsu threshold) often lets a busy ground swallow the letters. The gate
    # knows the ink's polarity: ink black on white, split where this band's grey levels part. Both readings
    # are tried; the one that reads more letters more surely is kept.
    margin = max(4, round(MARGIN * LETTER_PX))  # Tesseract reads letters that touch the image's edge badly
    best: list[Word] = []
    letters = h * scale
    variants = (
        lambda: _binarised(band, dark=line.dark, height=letters),
        lambda: band,
        lambda: _binarised(band, dark=not line.dark, height=letters),  # the gate may have seen the counters
    )
    for variant in variants:
        image = variant()
        framed = ImageOps.expand(image, margin, fill=255 if image is not band else _edge_colour(band))
        words = [_moved(w, -margin, -margin) for w in _read_block(framed, languages, PSM_LINE)]
        if _weight(words) > _weight(best):
            best = words
        if best and min(w.confidence for w in best) >= SURE:  # a clear reading: the other is not needed
            break
    # The line's first and last mark, which the gate saw, in the band's pixels.
    ends = [tx + (v - (left + right) / 2) * scale * math.cos(a) for v in (left, right)]
    if not any(w.confidence >= NEIGHBOUR_CONFIDENCE for w in best):
        # Marks of a busy ground beside the line glue onto its first and last letters ("Wlorchara"): read once
        # more only from the line's first mark to its last.
        x0 = max(0, round(ends[0] - TIGHT * letters))
        x1 = min(band.width, round(ends[1] + TIGHT * letters))
        if x1 - x0 > letters:
            image = _binarised(band.crop((x0, 0, x1, band.height)), dark=line.dark, height=letters)
            # Then without the ink thinner than a letter's stroke (a painting's brush marks, scratches).
            thin = max(3, round(THIN * letters) | 1)
            for variant in (image, image.filter(ImageFilter.MaxFilter(thin)).filter(ImageFilter.MinFilter(thin))):
                framed = ImageOps.expand(variant, margin, fill=255)
                words = [_moved(w, x0 - margin, -margin) for w in _read_block(framed, languages, PSM_LINE)]
                if _weight(words) > _weight(best):
                    best = words
                if best and min(w.confidence for w in best) >= SURE:
                    break
    if not best or min(w.confidence for w in best) < SURE:
        # Tesseract is unsure: the scene-text recogniser reads the grey band; when it is unsure of all of it, once
        # more from the line's first mark to its last (a busy ground beside the line reads as letters too, but
        # the gate's chain can miss a word's first letters, so the whole band goes first).
        spans = ((0, band.width), (round(ends[0] - SECOND_PAD * letters), round(ends[1] + SECOND_PAD * letters)))
        for x0, x1 in spans:
            x0, x1 = max(0, x0), min(band.width, x1)
            if x1 - x0 <= letters:
                continue
            second = [
                Word(text, round(confidence, 3), (x0 + start, 0, end - start, band.height), n == 0)
                for n, (text, confidence, start, end) in enumerate(
                    recogniser.recognise(band.crop((x0, 0, x1, band.height)))
                )
                # Its alphabet is mostly Chinese: outside ASCII it is guessing at a texture, not reading our words.
                if confidence >= SECOND_SURE and text.isascii() and any(c.isalnum() for c in text)
            ]
            # Judged by how sure each letter is, not how many: Tesseract's misreadings of a busy ground run long.
            if second and (not best or _sureness(second) > _sureness(best)):
                best = second
            if second:
                break
    best = [_moved(w, 0, band_top) for w in best]
    return [_shift(w, box[0], box[1], scale, angle, crop.size, turned.size) for w in best]


def _moved(word: Word, dx: int, dy: int) -> Word:
    x, y, w, h = word.box
    return Word(word.text, word.confidence, (x + dx, y + dy, w, h), word.line_start)


def _weight(words: list[Word]) -> float:
    return sum(w.confidence * len(w.text) for w in words)


def _sureness(words: list[Word]) -> float:
    return _weight(words) / max(1, sum(len(w.text) for w in words))


def _binarised(image: Image.Image, *, dark: bool, height: float) -> Image.Image:
    """Ink black on white; marks taller than letters (the ground's blobs reaching into the band) wiped. The
    ground is flattened first (each pixel against the ground around it, the ink closed over), so that letters
    crossing a light and a dark patch are split from both by one threshold."""
    pixels = np.asarray(image, dtype=np.float32)
    size = max(3, round(STROKE * height))
    if dark:
        ink_depth = ndimage.grey_closing(pixels, size=(size, size)) - pixels
    else:
        ink_depth = pixels - ndimage.grey_opening(pixels, size=(size, size))
    depth = np.clip(ink_depth * (255.0 / max(1.0, float(ink_depth.max()))), 0, 255).astype(np.uint8)
    ink = depth > otsu(depth)
    labels, count = ndimage.label(ink)
    if count:
        tall = np.array([s[0].stop - s[0].start > TALL * height for s in ndimage.find_objects(labels)])
        ink &= ~np.concatenate([[False], tall])[labels]
    return Image.fromarray(np.where(ink, 0, 255).astype(np.uint8))


def _edge_colour(crop: Image.Image) -> tuple[int, ...]:
    return crop.resize((1, 1), Image.BOX).getpixel((0, 0))


def _shift(word: Word, left: int, top: int, enlarge: float, angle: float, crop_size, turned_size) -> Word:
    """A word's box in a straightened, enlarged crop → its box in the read image (its centre turned back)."""
    x, y, w, h = word.box
    cx, cy = x + w / 2 - turned_size[0] / 2, y + h / 2 - turned_size[1] / 2
    # The crop was turned by -angle (counter-clockwise positive, y down): turn the centre back by +angle.
    a = math.radians(angle)
    ox = cx * math.cos(a) + cy * math.sin(a)
    oy = -cx * math.sin(a) + cy * math.cos(a)
    ox, oy = (ox + crop_size[0] / 2) / enlarge, (oy + crop_size[1] / 2) / enlarge
    w, h = w / enlarge, h / enlarge
    box = (round(left + ox - w / 2), round(top + oy - h / 2), round(w), round(h))
    return Word(word.text, word.confidence, box, word.line_start)


def _read_block(image: Image.Image, languages: str, psm: int) -> list[Word]:
    api = _api(languages, psm)
    api.SetImage(image)
    api.Recognize()
    level = tesserocr.RIL.WORD
    words, pending_line = [], True
    for result in tesserocr.iterate_level(api.GetIterator(), level):
        try:
            text = result.GetUTF8Text(level).strip()
        except RuntimeError:  # an empty block: Tesseract found a region but no letters in it
            continue
        confidence = result.Confidence(level)
        line_start = pending_line or result.IsAtBeginningOf(tesserocr.RIL.TEXTLINE)
        if not text or confidence < MIN_CONFIDENCE or not any(c.isalnum() for c in text):
            pending_line = line_start
            continue
        x1, y1, x2, y2 = result.BoundingBox(level)
        words.append(Word(text, round(confidence / 100, 3), (x1, y1, x2 - x1, y2 - y1), line_start))
        pending_line = False
    api.Clear()
    return words
