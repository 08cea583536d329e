"""A probable line of text, as the gate and the detector find it, and a word as the reader reads it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    """A probable line of text, in the coordinates of the image the gate was given."""

    box: tuple[float, float, float, float]  # left, top, right, bottom
    height: float  # letter height, about the x-height (the gate's median mark)
    angle: float  # degrees, counter-clockwise positive as PIL rotates
    marks: int
    dark: bool = True  # dark ink on a lighter ground (else light on dark): the reader binarises with it
    isolation: float = 1.0  # share of the marked pixels around the line that are letters of lines of text
    score: float = 0.0  # how much it looks like text, not texture: log-odds (gate.line_score, or the detector's)
    features: tuple[float, ...] = ()  # what the score was computed from (FEATURES), for fitting LINE_WEIGHTS


@dataclass(frozen=True)
class Word:
    text: str
    confidence: float  # 0–1
    box: tuple[int, int, int, int]  # x, y, width, height in the pixels of the image read
    line_start: bool = False  # the first word of a line of text
