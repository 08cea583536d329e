"""Written text: query words answered by the words read in photos (the ocr app's text pass).

- a word matches read words with case and accents folded, and tolerates OCR errors ("determine" finds a photo
  where Tesseract read "letermine"); a photo where it is written large or often scores higher;
- a quoted phrase ('"gate 12"', one token with its quotes) matches its words in reading order;
- "text", "document", "screenshot", "receipt", "note" (and plurals) find photos with a lot of text.

A word is read as written text only when some photo of the owner holds it (or it is quoted), and then as an
alternative (``alternative = True``): "coffee" finds the photos showing coffee and those with the word written
on them, and ordinary words are never taken away from the image model.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser

from ocr.core.matching import fold, similarity, tolerance
from ocr.models import PhotoText
from ocr.selectors import words_of

from .base import Answer, Candidates, Reading, Term

TEXT_WORDS = frozenset(
    {"text", "texts", "document", "documents", "screenshot", "screenshots", "receipt", "receipts", "note", "notes"}
)
LOTS_OF_WORDS = 15  # a photo with at least this many read words "holds a lot of text"
LARGE = 0.05  # a word this tall (share of the photo's height) counts as written large
VOCABULARY_CAP = 50_000  # distinct read words of one length band compared by edit distance for one query word


def _quoted(token: str) -> list[str] | None:
    if len(token) >= 2 and token[0] == token[-1] == '"':
        words = [fold(part) for part in token[1:-1].split()]
        return [w for w in words if w] or None
    return None


def _variants(*, owner: AbstractBaseUser, word: str) -> dict[str, float]:
    """Read words of the owner that a query word matches, with how well: {folded: similarity}."""
    limit = tolerance(len(word))
    if limit == 0:
        return {word: 1.0}
    band = (
        words_of(owner=owner)
        .filter(length__range=(len(word) - limit, len(word) + limit))
        .values_list("folded", flat=True)
        .distinct()[:VOCABULARY_CAP]
    )
    found = {read: similarity(word, read) for read in band}
    return {read: s for read, s in found.items() if s > 0} | {word: 1.0}


class WrittenText:
    name = "text"
    kind = "text"
    selective = True
    alternative = True

    def read(self, *, owner: AbstractBaseUser, tokens: Sequence[str]) -> Reading | None:
        token = tokens[0]
        if (phrase := _quoted(token)) is not None:
            return Reading(length=1, value=("phrase", tuple(phrase)), shown=" ".join(phrase))
        if token in TEXT_WORDS:
            return Reading(length=1, value=("lots", token), shown="photos with text")
        word = fold(token)
        if len(word) < 2:
            return None
        variants = _variants(owner=owner, word=word)
        if words_of(owner=owner).filter(folded__in=list(variants)).exists():
            return Reading(length=1, value=("word", word))
        return None

    def answer(self, *, owner: AbstractBaseUser, terms: Sequence[Term], within: Candidates, k: int) -> Answer:
        combined: dict[int, float] | None = None
        for term in terms:
            kind, *rest = term.value
            if kind == "lots":
                scores = self._lots(owner, within.ids)
            elif kind == "phrase":
                scores = self._phrase(owner, list(rest[0]), within.ids)
            else:
                scores = self._phrase(owner, [rest[0]], within.ids)
            if combined is None:
                combined = scores
            else:  # all terms together: photos that satisfy each, the geometric mean of their scores
                combined = {p: math.sqrt(s * scores[p]) for p, s in combined.items() if p in scores}
        kept = within.among(combined or {})
        return Answer(scores={photo_id: score for photo_id, score in (combined or {}).items() if photo_id in kept})

    def _lots(self, owner: AbstractBaseUser, within: set[int] | None) -> dict[int, float]:
        texts = PhotoText.objects.filter(owner=owner, word_count__gte=LOTS_OF_WORDS, photo__trashed_at__isnull=True)
        if within is not None:
            texts = texts.filter(photo_id__in=list(within))
        # 15 words: 0.6 (possible); 100 words and more: 1.0.
        return {
            photo_id: round(0.6 + 0.4 * min(1.0, (count - LOTS_OF_WORDS) / (100 - LOTS_OF_WORDS)), 4)
            for photo_id, count in texts.values_list("photo_id", "word_count")
        }

    def _phrase(self, owner: AbstractBaseUser, words: list[str], within: set[int] | None) -> dict[int, float]:
        """Photos whose read words hold ``words`` in order (one word: anywhere), scored by how well they match,
        how sure the reading was, and how large and how often the match is written."""
        variants = [_variants(owner=owner, word=word) for word in words]
        rows = words_of(owner=owner).filter(folded__in={v for vs in variants for v in vs})
        if within is not None:
            rows = rows.filter(photo_id__in=list(within))
        by_photo: dict[int, dict[int, tuple[str, float, float]]] = defaultdict(dict)
        for photo_id, position, folded, confidence, size in rows.values_list(
            "photo_id", "position", "folded", "confidence", "size"
        ):
            by_photo[photo_id][position] = (folded, confidence, size)
        scores = {}
        for photo_id, positions in by_photo.items():
            matches = []  # (similarity, confidence, size) of each occurrence of the whole phrase
            for start in positions:
                found = [positions.get(start + i) for i in range(len(words))]
                if all(f is not None and f[0] in variants[i] for i, f in enumerate(found)):
                    matches.append(
                        (
                            min(variants[i][f[0]] for i, f in enumerate(found)),
                            sum(f[1] for f in found) / len(found),
                            max(f[2] for f in found),
                        )
                    )
            if matches:
                scores[photo_id] = _score(matches)
        return scores


def _score(matches: list[tuple[float, float, float]]) -> float:
    """In (0, 1]: an exact, clearly read match scores strong (≥ 0.8); each OCR error costs; written large
    (LARGE of the height) or often (about 15 times) adds up to 0.1 each."""
    best = max(m[0] for m in matches)
    confidence = max(m[1] for m in matches if m[0] == best)
    large = min(1.0, max(m[2] for m in matches) / LARGE)
    often = min(1.0, math.log2(1 + len(matches)) / 4)
    return round(best * (0.7 + 0.1 * confidence + 0.1 * large + 0.1 * often), 4)
