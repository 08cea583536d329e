"""Reading words with Tesseract: text, confidence and box in the photo's pixels."""

from ocr.core import gate, reader
from ocr.core.matching import fold
from tests.ocr.images import text_photo


def test_rendered_words_are_read_with_box_and_confidence():
    image = text_photo(["harbour", "segmentation"], background="rocket")
    verdict = gate.verdict(image=image, threshold=4)
    words = reader.read(image, lines=verdict.lines, lines_size=verdict.size)
    found = {fold(w.text): w for w in words}
    assert {"harbour", "segmentation"} <= set(found)
    word = found["segmentation"]
    x, y, width, height = word.box
    assert 0.5 < word.confidence <= 1.0
    assert 0 <= x < image.width and 0 <= y < image.height
    assert 40 <= height <= 90 and width > 4 * height  # 56-px letters, a long word


def test_a_page_is_read_whole_without_lines():
    from PIL import Image
    from skimage import data

    words = reader.read(Image.fromarray(data.page()))
    assert "segmentation" in {fold(w.text) for w in words}


def test_engine_key_names_tesseract_and_the_settings():
    key = reader.engine_key()
    assert key.startswith("tesseract-5.")
    assert f"/s{reader.SETTINGS_VERSION}/g{gate.GATE_VERSION}" in key


def test_installed_languages_include_english_but_not_orientation_data():
    assert "eng" in reader.installed_languages()
    assert "osd" not in reader.installed_languages()
