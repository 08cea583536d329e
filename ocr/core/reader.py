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
from dataclasses import dataclass
from pathlib import Path

import tesserocr
from PIL import Image, ImageOps

from .gate import GATE_VERSION, Line

READ_SIDE = 2400  # longer side a photo is read at: small text of a 12 MP photo survives, time stays bounded
LETTER_PX = 32  # regions whose letters are smaller are enlarged to about this (up to 3×): Tesseract's sweet spot
PAGE_SHARE = 0.3  # a region this large (share of the photo) is read with Tesseract's page layout
REGION_PAD = (3.0, 1.0)  # a line's region reaches this many letter heights beyond it: ends may be unlinked
CROP_PSM = tesserocr.PSM.SINGLE_BLOCK  # a cut-out region is one block: the page layout would call it a picture
AUTOCONTRAST = True  # regions are stretched to full contrast: faint text on a busy photo reads better
MAX_REGIONS = 12  # a photo's regions read at most, most marks first: bounds the time textures cost
MIN_CONFIDENCE = 30.0  # words below this (0–100) are mostly noise Tesseract finds in textures
SETTINGS_VERSION = 3  # bump when the reading settings above change: photos are read again
# Tesseract's data folders as Debian installs them; OCR_TESSDATA_DIR overrides.
TESSDATA_GLOBS = ("/usr/share/tesseract-ocr/*/tessdata", "/usr/share/tessdata")


@dataclass(frozen=True)
class Word:
    text: str
    confidence: float  # 0–1
    box: tuple[int, int, int, int]  # x, y, width, height in the pixels of the image read
    line_start: bool = False  # the first word of a line of text


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
        words = _read_block(work, joined, tesserocr.PSM.AUTO)
    else:
        factor = work.width / lines_size[0] if lines_size and lines_size[0] else 1.0
        words = []
        for box, height, angle in _regions(lines, factor, work.size)[:MAX_REGIONS]:
            words += _read_region(work, joined, box, height, angle)
    if scale == 1.0:
        return words
    return [
        Word(w.text, w.confidence, tuple(round(v / scale) for v in w.box), w.line_start)  # back to image pixels
        for w in words
    ]


def _regions(lines: list[Line], factor: float, size: tuple[int, int]) -> list[tuple[tuple, float, float]]:
    """Lines grouped into regions (lines near each other), in the read image's pixels: (box, letter height,
    tilt in degrees)."""
    boxes = []
    for line in lines:
        h = line.height * factor
        left, top, right, bottom = (v * factor for v in line.box)
        pad_x, pad_y = REGION_PAD
        boxes.append([left - pad_x * h, top - pad_y * h, right + pad_x * h, bottom + pad_y * h, [line]])
    merged = True
    while merged:  # merge overlapping boxes until none overlap
        merged = False
        out = []
        for box in boxes:
            for other in out:
                if box[0] < other[2] and other[0] < box[2] and box[1] < other[3] and other[1] < box[3]:
                    other[:4] = [
                        min(box[0], other[0]),
                        min(box[1], other[1]),
                        max(box[2], other[2]),
                        max(box[3], other[3]),
                    ]
                    other[4] += box[4]
                    merged = True
                    break
            else:
                out.append(box)
        boxes = out
    regions = []
    boxes.sort(key=lambda box: -sum(m.marks for m in box[4]))  # most text-like first
    for left, top, right, bottom, members in boxes:
        weight = sum(m.marks for m in members)
        height = sum(m.height * m.marks for m in members) / weight * factor
        angle = sum(m.angle * m.marks for m in members) / weight
        clipped = (max(0, round(left)), max(0, round(top)), min(size[0], round(right)), min(size[1], round(bottom)))
        if clipped[2] > clipped[0] and clipped[3] > clipped[1]:
            regions.append((clipped, height, angle))
    return regions


def _read_region(work: Image.Image, languages: str, box: tuple, height: float, angle: float) -> list[Word]:
    left, top, right, bottom = box
    if (right - left) * (bottom - top) >= PAGE_SHARE * work.width * work.height:
        page = work.crop(box)
        return [
            _shift(w, left, top, 1.0, 0.0, page.size, page.size)
            for w in _read_block(page, languages, tesserocr.PSM.AUTO)
        ]
    crop = ImageOps.autocontrast(work.crop(box).convert("L"), cutoff=1) if AUTOCONTRAST else work.crop(box)
    enlarge = min(3.0, LETTER_PX / height) if height < LETTER_PX else 1.0
    if enlarge > 1.0:
        crop = crop.resize((round(crop.width * enlarge), round(crop.height * enlarge)), Image.BICUBIC)
    straight = abs(angle) >= 1.0
    turned = (
        crop.rotate(-angle, resample=Image.BICUBIC, expand=True, fillcolor=_edge_colour(crop)) if straight else crop
    )
    words = _read_block(turned, languages, CROP_PSM)
    return [_shift(w, left, top, enlarge, angle if straight else 0.0, crop.size, turned.size) for w in words]


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
