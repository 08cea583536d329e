"""The shared scale: calibration keeps a signal's order and puts its fitted thresholds on the labels' cuts."""

import itertools

import numpy as np

from search.signals.base import POSSIBLE, STRONG, WEAK, Candidates, Term, calibrate, label


def test_calibrate_puts_the_fitted_thresholds_on_the_label_cuts():
    assert label(calibrate(0.30, possible=0.30, strong=0.55)) == POSSIBLE
    assert label(calibrate(0.55, possible=0.30, strong=0.55)) == STRONG
    assert label(calibrate(0.2999, possible=0.30, strong=0.55)) == WEAK


def test_calibrate_is_strictly_increasing_and_stays_in_the_unit_interval():
    raw = np.linspace(-1.5, 2.5, 401)
    mapped = [calibrate(float(r), possible=0.2, strong=0.6) for r in raw]
    assert all(b > a for a, b in itertools.pairwise(mapped))
    assert mapped[0] > 0 and mapped[-1] < 1


def test_equal_thresholds_keep_the_order_below_and_above_them():
    """Fitted equal (nothing between "possible" and "strong"), the tails still fade over a tenth of the threshold:
    a score a little under it stays a product-worthy weak score instead of 0."""
    below = calibrate(0.60, possible=0.665, strong=0.665)
    assert 0.1 < below < calibrate(0.64, possible=0.665, strong=0.665) < 0.5
    assert calibrate(0.665, possible=0.665, strong=0.665) == 0.8 < calibrate(0.7, possible=0.665, strong=0.665) < 1


def test_candidates_leave_out_the_excluded_and_keep_to_their_ids():
    within = Candidates(ids={1, 2, 3}, excluded={2})
    assert within.among([1, 2, 3, 4]) == {1, 3}


def test_term_api_shape():
    term = Term(text="rome", signal="place", kind="place", value=1, shown="Rome, Italy")
    assert term.as_dict() == {"word": "rome", "as": "place", "shown": "Rome, Italy", "negated": False}
