"""A text query, read once into terms: each word or phrase by the signal that reads the longest run of it.

"red motorcycle in rome 2019 -grace" → colour red, thing motorcycle, place Rome, date 2019, not person Grace
("in" frames the query and is dropped). A word no signal reads is a typo corrected to the word space's closest
spelling (unless the query asks for its words exactly), or an error that names it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser

from .. import components
from . import SIGNALS
from .base import Reading, Signal, Term
from .things import STOP_WORDS
from .vectors import QueryError

_TOKEN = re.compile(r'-?"[^"]*"?|[^\s,"]+')
_WORD = re.compile(r"^-?[\w'’.:/&-]+$")  # "&": "b&w", "black & white"


@dataclass(frozen=True)
class Parsed:
    terms: list[Term]
    spelling: dict | None = None  # {"original": "coffe", "corrected": "coffee"} when a typo was corrected


def tokens(q: str) -> list[tuple[bool, str]]:
    """'cat -dog "gate 12"' → [(False, 'cat'), (True, 'dog'), (False, '"gate 12"')]: (negated, lower-cased)."""
    found = []
    for token in _TOKEN.findall(q.lower()):
        negated = token.startswith("-")
        token = token[1:] if negated else token
        if token.startswith('"'):
            phrase = " ".join(token.strip('"').split())
            if not phrase:
                continue
            token = f'"{phrase}"'
        elif not _WORD.match(token) or not token.strip("-'’.:/"):
            raise QueryError(f"“{token}” is not a word; use letters, and “-word” to push a word away.")
        found.append((negated, token))
    return found


def parse(*, owner: AbstractBaseUser, q: str, exact: bool = False) -> Parsed:
    """The query's terms, in the order typed."""
    words = tokens(q)
    terms: list[Term] = []
    corrected: list[tuple[str, str]] = []
    i = 0
    while i < len(words):
        negated, word = words[i]
        run = [word] if negated else [w for _, w in _until_negated(words[i:])]
        found = _longest(owner, run)
        if word in STOP_WORDS and (found is None or found[1].length == 1):
            i += 1
            continue
        if found is None:
            suggestion = None if exact or word.startswith('"') else _spelling(word)
            if suggestion is None:
                raise unknown_word(word)
            corrected.append((word, suggestion))
            words[i] = (negated, suggestion)
            run = [suggestion]
            found = _longest(owner, run)
            if found is None:
                raise unknown_word(word)
        signal, reading, alternatives = found
        text = " ".join(run[: reading.length]).strip('"')
        also = () if negated else tuple(_term(text, s, r, negated=False) for s, r in alternatives)
        terms.append(_term(text, signal, reading, negated=negated, also=also))
        i += reading.length
    spelling = None
    if corrected:
        fixed = dict(corrected)
        spelling = {
            "original": q,
            "corrected": " ".join(("-" if n else "") + fixed.get(w, w) for n, w in tokens(q)),
        }
    return Parsed(terms=terms, spelling=spelling)


def _term(text: str, signal: Signal, reading: Reading, *, negated: bool, also=()) -> Term:
    return Term(
        text=text,
        signal=signal.name,
        kind=signal.kind,
        value=reading.value,
        shown=reading.shown,
        negated=negated,
        also=also,
    )


def _until_negated(words: list[tuple[bool, str]]) -> list[tuple[bool, str]]:
    """The run of words a phrase may span: up to the next ``-word``."""
    run = [words[0]]
    for negated, word in words[1:]:
        if negated:
            break
        run.append((negated, word))
    return run


def _longest(owner, run: list[str]) -> tuple[Signal, Reading, list[tuple[Signal, Reading]]] | None:
    """The longest reading of the run's first words (the first signal's, at equal length, and a replacing
    signal's over an alternative one's), with the alternative signals' readings of the same words."""
    readings = [(s, r) for s in SIGNALS if (r := s.read(owner=owner, tokens=run)) is not None]
    if not readings:
        return None
    longest = max(r.length for _, r in readings)
    readings = [(s, r) for s, r in readings if r.length == longest]
    replacing = [(s, r) for s, r in readings if not getattr(s, "alternative", False)]
    signal, reading = (replacing or readings)[0]
    return signal, reading, [(s, r) for s, r in readings if s is not signal and getattr(s, "alternative", False)]


def _spelling(word: str) -> str | None:
    suggestions = components.word_space().spelling(word)
    return suggestions[0] if suggestions else None


def unknown_word(word: str) -> QueryError:
    """An unknown word, with the vocabulary's closest spellings ("coffe" → coffee) as ``suggestions``."""
    suggestions = components.word_space().spelling(word.strip('"'))
    hint = f" Did you mean {' or '.join(f'“{s}”' for s in suggestions)}?" if suggestions else " Try another word."
    return QueryError(
        f"Unknown word: “{word}”.{hint}", code="unknown_word", params={"word": word, "suggestions": suggestions}
    )
