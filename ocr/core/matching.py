"""How query words meet words read by OCR: folding (case, accents, punctuation) and tolerance for reading errors."""

from __future__ import annotations

import unicodedata

MAX_WORD = 100


def fold(word: str) -> str:
    """ "Déterminé," → "determine": lower case, accents off, only letters and digits kept."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c))[:MAX_WORD]


def tolerance(length: int) -> int:
    """Edits allowed between a query word and a read word: none for short words, where one edit makes another
    word ("cat", "car"); one from 5 letters ("letermine" for "determine" is one); two from 9."""
    return 0 if length < 5 else 1 if length < 9 else 2


def distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance of a and b, or limit + 1 as soon as it must exceed limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def similarity(query: str, read: str) -> float:
    """1 for the same folded word, less for each edit within tolerance, 0 beyond it."""
    if query == read:
        return 1.0
    limit = tolerance(len(query))
    if limit == 0:
        return 0.0
    edits = distance(query, read, limit)
    return 0.0 if edits > limit else 1.0 - 0.15 * edits
