"""The second reader (PP-OCRv4's recogniser through onnxruntime) on one level line."""

from PIL import Image, ImageDraw, ImageFont

from ocr.core import paddle, recogniser
from tests.ocr.images import FONT


def _line(text: str, *, size: int = 40) -> Image.Image:
    face = ImageFont.truetype(FONT, size)
    _, _, right, bottom = face.getbbox(text)
    image = Image.new("L", (right + size, bottom + size // 2), 235)
    ImageDraw.Draw(image).text((size // 2, size // 4), text, font=face, fill=30)
    return image


def test_a_clean_word_is_read_exactly_with_its_extent():
    image = _line("harbour")

    (word,) = recogniser.recognise(image)

    text, confidence, left, right = word
    assert text == "harbour"
    assert confidence > 0.9
    assert 0 <= left < right <= image.width
    assert right - left > image.width / 2  # the word spans most of the line


def test_words_are_split_at_spaces_in_reading_order():
    words = recogniser.recognise(_line("gate 12 tokyo"))

    assert [text for text, *_ in words] == ["gate", "12", "tokyo"]
    assert [left for _, _, left, _ in words] == sorted(left for _, _, left, _ in words)


def test_a_blank_band_reads_nothing():
    assert recogniser.recognise(Image.new("L", (300, 40), 200)) == []


def test_the_model_ships_inside_the_installed_package():
    assert paddle.package_file(recogniser.MODEL).is_file()
