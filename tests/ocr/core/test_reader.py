"""Reading words with Tesseract (and the scene-text recogniser where it is unsure): text, confidence and box in
the photo's pixels."""

import glob

import numpy as np
from PIL import Image
from skimage import data

from ocr.core import gate, reader, recogniser
from ocr.core.matching import close_words, fold
from tests.ocr.images import FONT_GLOB, SERIF_BOLD, text_photo


def test_rendered_words_are_read_with_box_and_confidence():
    image = text_photo(["harbour", "segmentation"], background="rocket")
    verdict = gate.verdict(image=image)
    words = reader.read(image, lines=verdict.lines, lines_size=verdict.size)
    found = {fold(w.text): w for w in words}
    assert {"harbour", "segmentation"} <= set(found)
    word = found["segmentation"]
    x, y, width, height = word.box
    assert 0.5 < word.confidence <= 1.0
    assert 0 <= x < image.width and 0 <= y < image.height
    assert 40 <= height <= 90 and width > 4 * height  # 56-px letters, a long word


def test_a_page_is_read_whole_without_lines():
    words = reader.read(Image.fromarray(data.page()))
    assert "segmentation" in {fold(w.text) for w in words}


def test_engine_key_names_tesseract_and_the_settings():
    key = reader.engine_key()
    assert key.startswith("tesseract-5.")
    assert f"/s{reader.SETTINGS_VERSION}/g{gate.GATE_VERSION}" in key


def test_installed_languages_include_english_but_not_orientation_data():
    assert "eng" in reader.installed_languages()
    assert "osd" not in reader.installed_languages()


def test_tilted_faint_words_on_fur_are_read_well_enough_for_the_search():
    """Ensure words tilted by 8° in grey ink (70% of the contrast there is) on a cat's fur are read, each
    exactly or within the search's tolerance: each gate line is cut to its band, turned level and its ground
    flattened before Tesseract sees it."""
    image = text_photo(
        ["lantern", "harbour", "meadow"], background="chelsea", size=44, angle=8, contrast=0.7, blur=0.8,
        font=SERIF_BOLD, seed=1,
    )  # fmt: skip
    verdict = gate.verdict(image=image)
    read = [fold(w.text) for w in reader.read(image, lines=verdict.lines, lines_size=verdict.size)]
    assert all(close_words(word, read) for word in ("lantern", "harbour", "meadow")), read


def test_lines_of_a_block_the_gate_missed_are_read_as_neighbours_of_a_line_read_well():
    image = text_photo(
        ["lantern", "harbour", "meadow"], background="coffee", size=44, angle=8, contrast=0.7, blur=0.8,
        font=SERIF_BOLD, seed=1,
    )  # fmt: skip
    verdict = gate.verdict(image=image)
    top = min((line for line in verdict.lines if line.score >= gate.TEXT_SCORE), key=lambda line: line.box[1])
    words = reader.read(image, lines=[top], lines_size=verdict.size)
    read = [fold(w.text) for w in words]
    assert all(close_words(word, read) for word in ("lantern", "harbour", "meadow")), read  # within tolerance
    assert len([w for w in words if fold(w.text) == "harbour"]) == 1  # read once, though two bands hold it


def test_binarising_puts_light_ink_black_on_white_and_wipes_marks_taller_than_letters():
    ground = np.full((60, 200), 70, dtype=np.uint8)
    ground[20:40, 20:26] = 210  # a light stroke, 20 px tall: a letter
    ground[0:60, 150:170] = 210  # a light band through the whole strip: ground, not a letter
    out = np.asarray(reader._binarised(Image.fromarray(ground), dark=False, height=20))
    assert out[30, 22] == 0  # the letter's stroke is black
    assert out[30, 100] == 255  # the ground white
    assert out[30, 160] == 255  # the tall band wiped


def test_a_line_on_the_photos_bottom_edge_is_read_though_its_neighbour_below_is_outside():
    image = text_photo(["lantern"], background="coffee", size=44, seed=1)
    line = gate.verdict(image=image).lines[0]
    scale = image.width / gate.verdict(image=image).size[0]
    image = image.crop((0, 0, image.width, round(line.box[3] * scale) + 6))  # the photo ends below the word
    verdict = gate.verdict(image=image)
    words = reader.read(image, lines=verdict.lines, lines_size=verdict.size)
    assert "lantern" in {fold(w.text) for w in words}


def test_large_monospace_tesseract_misreads_on_a_busy_ground_is_read_by_the_scene_text_recogniser(monkeypatch):
    """96-px bold monospace, tilted and blurred, on the coffee photo: Tesseract alone reads no form of either
    word; with the second reader both are read within the search's tolerance."""
    mono = sorted(glob.glob(FONT_GLOB.replace("DejaVu*", "DejaVuSansMono-Bold")))[0]
    image = text_photo(["library", "violet"], background="coffee", size=96, angle=10, contrast=0.7, blur=1.5, font=mono)
    verdict = gate.verdict(image=image)

    def read() -> list[str]:
        return [fold(w.text) for w in reader.read(image, lines=verdict.lines, lines_size=verdict.size)]

    with monkeypatch.context() as patch:
        patch.setattr(recogniser, "recognise", lambda band: [])
        alone = read()
    both = read()

    assert not close_words("library", alone) and not close_words("violet", alone), alone
    assert close_words("library", both) and close_words("violet", both), both


def test_a_few_large_lines_the_page_layout_calls_a_picture_are_read_line_by_line():
    """Three lines of 96-px bold oblique on the cat cover a page's share of the photo; Tesseract's page layout
    reads nothing there, so each line is read on its own."""
    bold_oblique = sorted(glob.glob(FONT_GLOB.replace("DejaVu*", "DejaVuSans-BoldOblique")))[0]
    image = text_photo(
        ["breakfast", "orchard", "pencil"], background="chelsea", size=96, contrast=0.45, angle=10, font=bold_oblique
    )
    verdict = gate.verdict(image=image)
    regions = reader._regions(verdict.lines, image.width / verdict.size[0], image.size)
    pages = [region for region in regions if reader._is_page(region, image.size)]
    assert pages and not reader._read_page(image, "eng", pages[0])  # what the page layout makes of it
    words = reader.read(image, lines=verdict.lines, lines_size=verdict.size)
    read = [fold(w.text) for w in words]
    assert all(close_words(word, read) for word in ("breakfast", "orchard", "pencil"))
