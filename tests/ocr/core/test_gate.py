"""The gate: cheap, and it decides which photos are read."""

from PIL import Image
from skimage import data

from ocr.core import gate
from ocr.core.lines import Line, Word
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


def test_a_chain_among_many_marks_or_on_a_busy_ground_scores_below_the_same_chain_on_a_plain_ground():
    """Ensure the line score falls as a texture's evidence rises: a lower share of letters around the chain
    (isolation), a busier ground between its marks."""
    features = (0.1, 0.05, 0.22, 0.2, 0.05, 0.5, 12.0)  # heights, strokes, ground, gaps of a clean word
    clean = gate.line_score(isolation=0.9, marks=6, features=features)
    crowded = gate.line_score(isolation=0.25, marks=6, features=features)
    busy = gate.line_score(isolation=0.9, marks=6, features=(0.1, 0.05, 0.22, 0.9, 0.05, 0.5, 12.0))
    assert clean >= gate.TEXT_SCORE
    assert crowded < clean and busy < clean


def test_large_light_letters_on_a_busy_ground_are_found_on_a_coarse_copy():
    """Ensure 120-px letters, whose strokes outgrow the fine scan's window, are found as a line."""
    image = text_photo(["summer"], background="chelsea", size=120, contrast=1.0, seed=2)
    verdict = gate.verdict(image=image)
    assert verdict.read is True
    best = verdict.lines[0]
    assert best.height > 30  # in the gate image's pixels: a large letter's height, not a texture's speck


def test_handwriting_the_chains_of_marks_never_find_opens_the_gate_through_the_detector():
    image = Image.fromarray(data.text()).convert("RGB")
    chains, _ = gate.text_lines(image)

    verdict = gate.verdict(image=image)

    assert max((line.score for line in chains), default=gate.LINE_FLOOR) < gate.TEXT_SCORE
    assert verdict.read is True
    assert verdict.lines and verdict.lines[0].features == ()  # the detector's line: no chain features


def test_a_texture_a_little_like_text_is_a_near_miss_and_a_plain_photo_is_not():
    grass = gate.verdict(image=sample("grass"))
    assert grass.read is False and grass.near is True
    assert gate.CONFIRM_SCORE <= grass.score < gate.TEXT_SCORE
    assert gate.verdict(image=sample("coffee")).near is False


def test_a_near_miss_is_confirmed_by_its_best_lines_only():
    verdict = gate.verdict(image=sample("grass"))
    assert len(verdict.confirming().lines) == min(len(verdict.lines), gate.CONFIRM_LINES)
    assert verdict.confirming().lines == verdict.lines[: gate.CONFIRM_LINES]
    assert verdict.confirmed().read is True and verdict.confirmed().near is False


def _word(text: str, confidence: float) -> Word:
    return Word(text=text, confidence=confidence, box=(0, 0, 10, 10))


def test_one_sure_word_of_four_letters_confirms_a_near_miss():
    assert gate.confirms([_word("oh", 0.35), _word("holiday,", 0.85)]) is True


def test_short_unsure_or_mixed_strings_do_not_confirm_a_near_miss():
    """The strings textures yield: short ones, unsure ones, letters mixed with digits or symbols."""
    assert gate.confirms([_word("HHC", 0.83), _word("eM,", 0.9)]) is False
    assert gate.confirms([_word("Paves", 0.34), _word("kitchen", 0.79)]) is False
    assert gate.confirms([_word("(374", 0.95), _word("1.0a5", 0.9), _word("“SNM", 0.9)]) is False


def test_a_chain_reaches_the_ends_of_the_detector_line_along_it_but_not_of_the_line_above():
    """The chain found "umn" of "autumn" (building.jpg, bench seed 2); the detector's line holds the whole word,
    and its widened box for the line above touches the chain too."""
    chain = Line(box=(128, 522, 188, 542), height=14, angle=7, marks=5)
    along = Line(box=(72, 521, 230, 559), height=17, angle=6, marks=1)
    above = Line(box=(40, 480, 320, 530), height=17, angle=6, marks=1)
    assert gate._reach(chain, [along, above]) == (72, 522, 230, 542)  # top and bottom stay the chain's
    assert gate._reach(chain, [above]) == chain.box
