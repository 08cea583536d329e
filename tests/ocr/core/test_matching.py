from ocr.core.matching import fold, similarity


def test_fold_drops_case_accents_and_punctuation():
    assert fold("Déterminé,") == "determine"
    assert fold("“Gate") == "gate"


def test_known_ocr_error_matches_within_tolerance():
    """Ensure "determine" finds Tesseract's "letermine" (scikit-image's page), scored below an exact match."""
    assert 0 < similarity("determine", "letermine") < similarity("determine", "determine") == 1.0


def test_short_words_match_only_exactly():
    assert similarity("cat", "car") == 0.0


def test_words_too_far_apart_do_not_match():
    assert similarity("segmentation", "sedimentary") == 0.0
