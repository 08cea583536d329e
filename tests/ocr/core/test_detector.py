"""The learned text detector (PP-OCRv4's DBNet through onnxruntime) on real photos and rendered words."""

import numpy as np
from PIL import Image
from skimage import data

from ocr.core import detector, paddle
from tests.images import sample
from tests.ocr.images import text_photo


def test_the_model_ships_inside_the_installed_package():
    assert paddle.package_file(detector.MODEL).is_file()


def test_a_photo_without_text_has_no_lines():
    assert detector.text_lines(sample("coffee")) == []


def test_handwriting_the_chains_of_marks_never_found_is_a_line():
    lines = detector.text_lines(Image.fromarray(data.text()).convert("RGB"))

    assert lines
    assert all(line.score >= 1.0 for line in lines)  # log-odds of the map's mean: at least LINE_PROBABILITY


def test_a_tilted_word_is_one_line_with_its_tilt_box_and_ink():
    photo = text_photo(["orchard"], angle=8.0, size=64)

    lines = detector.text_lines(photo)

    assert len(lines) == 1
    (line,) = lines
    assert 5.0 <= line.angle <= 11.0  # counter-clockwise positive, as PIL rotates
    # The word's x-height (about half of the 64-px font) is the reader's scale.
    assert 20 <= line.height <= 45
    assert line.box[2] - line.box[0] > 3 * (line.box[3] - line.box[1]) / 2
    assert line.dark is _ground_is_light(photo, line.box)  # render_words inks against the place's ground


def test_light_words_on_a_dark_ground_are_light_ink():
    photo = text_photo(["harbour"], background="camera", size=64, seed=0)  # seed 0: on the dark coat

    lines = detector.text_lines(photo)

    assert [line.dark for line in lines] == [False]
    assert not _ground_is_light(photo, lines[0].box)


def test_dark_words_on_a_light_ground_are_dark_ink():
    photo = text_photo(["harbour"], background="camera", size=64, seed=1)  # seed 1: on the light sky

    lines = detector.text_lines(photo)

    assert [line.dark for line in lines] == [True]
    assert _ground_is_light(photo, lines[0].box)


def _ground_is_light(photo, box) -> bool:
    crop = photo.convert("L").crop(tuple(round(v) for v in box))
    return float(np.median(np.asarray(crop))) > 128
