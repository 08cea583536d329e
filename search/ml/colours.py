"""A photo's main colour names and whether it is black-and-white, from its pixels, cheaply (a 64-pixel copy).

Each pixel takes the name of the nearest of a few reference colours per name in CIELAB (ΔE 1976), where
distances follow what people see far better than in RGB. Pixels count more near the centre and where they differ
from the photo's border (the background, usually): the subject outweighs the sky or the wall around it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

NAMES = ("red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "black", "white", "grey")
ACHROMATIC = ("black", "white", "grey")
SIDE = 64  # pixels on the long side of the copy the colours are read from
KEEP_SHARE = 0.05  # shares below this are noise, not a colour of the photo
# At most this chroma (CIELAB C*) at the 99th percentile of pixels: black-and-white (JPEG noise and a print's
# paper tint stay below it). The 99th, not the 95th: a few colourful pixels (galaxies on a black sky) or a dull
# colour photo's greens and roofs make a colour photo.
MONOCHROME_CHROMA = 8.0
FUZZ = 8.0  # ΔE over which a pixel's membership of a farther name fades (a just-noticeable difference is ~2.3)

# Reference colours (sRGB) per name; several per name cover its light, dark and dull forms.
REFERENCES = {
    "red": [(200, 30, 30), (150, 20, 25), (230, 60, 50), (255, 0, 0), (120, 15, 20), (200, 75, 50), (170, 50, 40)],
    "orange": [(255, 140, 0), (240, 120, 40), (230, 100, 20), (255, 165, 80), (210, 110, 40)],
    "yellow": [(255, 230, 0), (240, 220, 80), (250, 245, 150), (220, 190, 40)],
    "green": [(0, 150, 0), (60, 180, 75), (30, 90, 40), (140, 200, 80), (100, 120, 50), (20, 60, 30), (0, 128, 100)],
    "blue": [(0, 80, 200), (30, 60, 150), (100, 160, 230), (20, 30, 90), (0, 150, 220), (150, 200, 235), (60, 99, 140)],
    "purple": [(120, 40, 150), (90, 30, 120), (170, 100, 200), (80, 40, 90), (150, 60, 170)],
    "pink": [(255, 150, 180), (230, 100, 160), (250, 190, 200), (200, 80, 130), (255, 105, 180)],
    "brown": [(120, 70, 30), (90, 55, 35), (60, 40, 25), (140, 95, 60), (100, 80, 60)],
    "black": [(10, 10, 10), (35, 35, 35)],
    "white": [(250, 250, 250), (230, 230, 230)],
    "grey": [(128, 128, 128), (90, 90, 90), (180, 180, 180), (60, 60, 60)],
}


@dataclass(frozen=True)
class Colours:
    shares: dict[str, float]  # name → share of the weighted pixels, those ≥ KEEP_SHARE, largest first
    monochrome: bool

    @property
    def main(self) -> list[str]:
        return list(self.shares)


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB in [0, 1] (…, 3) → CIELAB (D65)."""
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = (
        linear
        @ np.array(
            [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]]
        ).T
    )
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], axis=-1)


_REFERENCE_LAB = srgb_to_lab(np.array([rgb for name in NAMES for rgb in REFERENCES[name]], dtype=np.float64) / 255)
_NAME_STARTS = np.cumsum([0] + [len(REFERENCES[name]) for name in NAMES[:-1]])


def colours(image: Image.Image) -> Colours:
    """The photo's colour names by weighted share, and whether it is black-and-white."""
    small = image.convert("RGB")
    small.thumbnail((SIDE, SIDE), Image.Resampling.BILINEAR)
    lab = srgb_to_lab(np.asarray(small, dtype=np.float32) / 255)
    weight = _subject_weight(lab)
    pixels, weight = lab.reshape(-1, 3), weight.reshape(-1)
    squared = ((pixels[:, None, :] - _REFERENCE_LAB[None, :, :]) ** 2).sum(axis=2)
    by_name = np.minimum.reduceat(squared, _NAME_STARTS, axis=1)  # pixel → squared ΔE to each name's nearest
    # Names are fuzzy: a pixel between red and orange counts partly as each, the nearer more.
    chroma = np.hypot(pixels[:, 1], pixels[:, 2])
    monochrome = bool(np.percentile(chroma, 99) <= MONOCHROME_CHROMA)
    if monochrome:  # its faint tints are noise: only black, white and grey can name it
        by_name[:, [name not in ACHROMATIC for name in NAMES]] = np.inf
    membership = np.exp(-(by_name - by_name.min(axis=1, keepdims=True)) / (2 * FUZZ**2))
    membership /= membership.sum(axis=1, keepdims=True)
    totals = (membership * weight[:, None]).sum(axis=0) / weight.sum()
    shares = {
        NAMES[i]: round(float(totals[i]), 3) for i in np.argsort(-totals, kind="stable") if totals[i] >= KEEP_SHARE
    }
    return Colours(shares=shares, monochrome=monochrome)


def _subject_weight(lab: np.ndarray) -> np.ndarray:
    """Per pixel: a centre-weighted Gaussian times how unlike the border (the likely background) the pixel is."""
    height, width, _ = lab.shape
    y, x = np.mgrid[0:height, 0:width]
    centre = np.exp(-(((x + 0.5) / width - 0.5) ** 2 + ((y + 0.5) / height - 0.5) ** 2) / (2 * 0.3**2))
    border = np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]])[:: max(1, (height + width) // 16)]
    unlike = np.sqrt(((lab[:, :, None, :] - border[None, None, :, :]) ** 2).sum(axis=3)).min(axis=2)
    # Colourful pixels count more: a red motorcycle in a grey garage is a red photo to whoever looks at it.
    vivid = np.clip(np.hypot(lab[..., 1], lab[..., 2]) / 30.0, 0.0, 1.0)
    return centre * (0.25 + np.clip(unlike / 25.0, 0.0, 1.0)) * (0.3 + vivid)
