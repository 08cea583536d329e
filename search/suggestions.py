"""Tag suggestions for freshly embedded photos: a few tags each, with the probability that the tag is right.

The ranking and the calibrated probability are search.ml.suggest's (soft class matching over the vocabulary and the
ImageNet labels, one logistic calibration for both); this module adds what depends on the owner: tags they keep
rejecting are suggested less (gallery.selectors.tag_verdicts).
"""

from __future__ import annotations

import numpy as np

from gallery.models import Photo
from gallery.selectors import tag_verdicts

from . import components
from .ml import suggest


def photos_suggestions(*, photos: list[Photo], logits: np.ndarray) -> dict[Photo, list[tuple[str, float]]]:
    """{photo: [(tag, probability), ...]} with at most suggest.MAX_SUGGESTIONS tags per photo, best first."""
    if not photos:
        return {}
    calibration = suggest.load_calibration()
    candidates = suggest.candidates(logits, components.tag_vocabulary(), hubness=calibration.hubness)
    verdicts = {owner_id: tag_verdicts(owner_id=owner_id) for owner_id in {photo.owner_id for photo in photos}}
    result = {}
    for row, photo in enumerate(photos):
        one = suggest.Candidates([candidates.tags[row]], [candidates.features[row]])
        result[photo] = suggest.suggest(one, calibration, rejections=verdicts[photo.owner_id])[0]
    return result
