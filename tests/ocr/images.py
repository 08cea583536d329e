"""Photos with words on them, rendered with a DejaVu font on a real photo (bench.ocr draws them)."""

import glob
import random

from bench.ocr import FONT_GLOB, _fonts, render_words
from tests.images import encode, sample

FONT = next(iter(sorted(glob.glob(FONT_GLOB.replace("DejaVu*", "DejaVuSans")))), None) or _fonts()[0]
SERIF_BOLD = next(iter(sorted(glob.glob(FONT_GLOB.replace("DejaVu*", "DejaVuSerif-Bold")))), None) or FONT


def text_photo(
    words: list[str],
    *,
    background: str = "coffee",
    size: int = 56,
    seed: int = 0,
    angle: float = 0.0,
    contrast: float = 1.0,
    blur: float = 0.0,
    font: str = FONT,
):
    """A real photo enlarged to 1200 px with ``words`` written on it, one per line, dark or light (level and at
    full contrast unless told)."""
    image = sample(background)
    image = image.resize((1200, round(1200 * image.height / image.width)))
    return render_words(
        image, words, size=size, angle=angle, contrast=contrast, blur=blur, font=font, rng=random.Random(seed)
    )


def text_jpeg(words: list[str], **options) -> bytes:
    return encode(text_photo(words, **options), "JPEG", quality=92)
