"""Reading: the words of a photo with their confidence and box, by Tesseract (tesserocr, in process).

tesserocr was chosen over pytesseract by measurement (docs/ocr.md): in process it skips a subprocess and an image
file per photo, 3–10× less time per photo on this machine for the same words.
"""

from __future__ import annotations

import functools
import glob
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import tesserocr
from PIL import Image

from .gate import GATE_VERSION

READ_SIDE = 2400  # longer side a photo is read at: small text of a 12 MP photo survives, time stays bounded
MIN_CONFIDENCE = 30.0  # words below this (0–100) are mostly noise Tesseract finds in textures
SETTINGS_VERSION = 1  # bump when the reading settings above change: photos are read again
# Tesseract's data folders as Debian installs them; OCR_TESSDATA_DIR overrides.
TESSDATA_GLOBS = ("/usr/share/tesseract-ocr/*/tessdata", "/usr/share/tessdata")


@dataclass(frozen=True)
class Word:
    text: str
    confidence: float  # 0–1
    box: tuple[int, int, int, int]  # x, y, width, height in the photo's pixels
    line_start: bool = False  # the first word of a line of text


def tessdata_dir() -> str:
    """Where the language files are: OCR_TESSDATA_DIR, else the first Debian folder holding eng.traineddata."""
    if configured := os.environ.get("OCR_TESSDATA_DIR"):
        return configured
    here = Path(__file__).resolve().parents[2] / ".venv" / "system"  # scripts/ensure-system.sh without root
    for pattern in (*TESSDATA_GLOBS, *(str(here) + p for p in TESSDATA_GLOBS)):
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


_local = threading.local()  # a Tesseract API is not thread-safe: one per thread and language set


def _api(languages: str) -> tesserocr.PyTessBaseAPI:
    apis = getattr(_local, "apis", None)
    if apis is None:
        apis = _local.apis = {}
    if languages not in apis:
        apis[languages] = tesserocr.PyTessBaseAPI(path=tessdata_dir(), lang=languages, psm=tesserocr.PSM.AUTO)
    return apis[languages]


def read(image: Image.Image, *, languages: tuple[str, ...] = ("eng",)) -> list[Word]:
    """The words Tesseract reads in the image, in reading order, boxes in the image's own pixels."""
    longest = max(image.size)
    scale = READ_SIDE / longest if longest > READ_SIDE else 1.0  # enlarging small ones cost 7× and read no more
    work = image.convert("RGB")
    if scale != 1.0:
        work = work.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.LANCZOS)
    api = _api("+".join(languages))
    api.SetImage(work)
    api.Recognize()
    level = tesserocr.RIL.WORD
    words, pending_line = [], False
    for result in tesserocr.iterate_level(api.GetIterator(), level):
        try:
            text = result.GetUTF8Text(level).strip()
        except RuntimeError:  # an empty block: Tesseract found a region but no letters in it
            continue
        confidence = result.Confidence(level)
        line_start = result.IsAtBeginningOf(tesserocr.RIL.TEXTLINE)
        if not text or confidence < MIN_CONFIDENCE or not any(c.isalnum() for c in text):
            pending_line = pending_line or line_start
            continue
        x1, y1, x2, y2 = result.BoundingBox(level)
        box = (round(x1 / scale), round(y1 / scale), round((x2 - x1) / scale), round((y2 - y1) / scale))
        confidence = round(confidence / 100, 3)
        words.append(Word(text=text, confidence=confidence, box=box, line_start=line_start or pending_line))
        pending_line = False
    api.Clear()
    return words
