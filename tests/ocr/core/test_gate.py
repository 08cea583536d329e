"""The gate: cheap, and it decides which photos are read."""

from PIL import Image
from skimage import data

from ocr.core import gate
from tests.images import sample
from tests.ocr.images import text_photo


def test_photo_without_text_is_skipped():
    verdict = gate.verdict(image=sample("coffee"))
    assert verdict.read is False
    assert all(line.score < gate.TEXT_SCORE for line in verdict.lines)


def test_textured_photo_without_text_is_skipped():
    """Ensure grass, whose blades chain like letters, is skipped: its chains stand among many other marks, not on
    a plain ground."""
    verdict = gate.verdict(image=Image.fromarray(data.grass()).convert("RGB"))
    assert verdict.read is False
    assert all(line.score < gate.TEXT_SCORE for line in verdict.lines)


def test_lines_carry_the_inks_polarity():
    dark = gate.verdict(image=text_photo(["harbour"], background="coffee", seed=1))
    light = gate.verdict(image=text_photo(["harbour"], background="rocket", seed=0))
    assert dark.lines and light.lines
    assert max(dark.lines, key=lambda line: line.marks).dark is True
    assert max(light.lines, key=lambda line: line.marks).dark is False


def test_photo_with_written_words_is_read_and_its_line_located():
    image = text_photo(["harbour", "segmentation"], background="rocket")
    verdict = gate.verdict(image=image)
    assert verdict.read is True
    assert verdict.score >= gate.TEXT_SCORE
    assert verdict.size[0] == min(image.width, gate.GATE_SIDE)


def test_text_classes_of_the_image_model_open_the_gate_without_lines():
    """Ensure a photo the model calls a website is read even when the thumbnail shows no line of text."""
    verdict = gate.verdict(image=sample("coffee"), class_probabilities={"website": 0.6})
    assert verdict.read is True and verdict.class_score == 0.6


def test_other_classes_do_not_open_the_gate():
    verdict = gate.verdict(image=sample("coffee"), class_probabilities={"espresso": 0.9})
    assert verdict.read is False
