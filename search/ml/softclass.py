"""Soft class matching: words → photos through each photo's ImageNet class probabilities.

A photo is its class distribution P = softmax(logits / T), truncated to its KEEP_CLASSES most likely classes. A word
q weights every class by how close the class name is to q in GloVe, relative to the closest class:
w_q(c) = exp((cos(q, v_c) − max_c' cos(q, v_c')) / τ). The photo's evidence for q is P · w_q, a soft OR over the
classes nearest the word; its score is the log of that, mapped affinely onto [0, 1] (see `term_score`).
Several words add their scores (AND), a ``-word`` subtracts its score, and a photo can be a term too (its own
distribution as the weights: "like this one").

Unlike ConSE (a photo's word vector = the renormalised mean of its top class names), nothing is renormalised: a
vague photo whose classes disagree spreads its probability thin and so matches every word weakly, instead of
getting an inflated cosine with everything (a hub).

The store is column-major (class → the photos holding it, with their probabilities), so a word query reads only
the few class columns where w_q is not negligible. No Django here.
"""

from __future__ import annotations

import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from search.ml import ann

TEMPERATURE = 2.0  # softens the classifier's overconfident softmax so runner-up classes count
TAU = 0.05  # how fast a class's weight falls with its name's distance from the word
KEEP_CLASSES = 100  # per photo; the rest of the distribution carries almost no mass
MIN_WEIGHT = 0.02  # query classes below this weight are dropped...
MAX_QUERY_CLASSES = 24  # ...and at most this many are read: both bound the work per word
FLOOR = 1e-4  # evidence below this counts as this: a photo without any of the word's classes scores 0
_LOG_FLOOR = -np.log(FLOOR)
KIND = "softclass"


def class_probabilities(
    logits: np.ndarray, *, temperature: float = TEMPERATURE, keep: int = KEEP_CLASSES
) -> np.ndarray:
    """(N, C) logits → (N, C) float32 probabilities with all but each row's `keep` largest set to zero."""
    logits = np.atleast_2d(np.asarray(logits, dtype=np.float32)) / temperature
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    if keep < probs.shape[1]:
        drop = np.argpartition(-probs, keep, axis=1)[:, keep:]
        np.put_along_axis(probs, drop, 0.0, axis=1)
    return probs.astype(np.float32)


@dataclass(frozen=True)
class Term:
    """One query term: sparse class weights (classes, weights) and its sign (+1 word or photo, −1 ``-word``)."""

    classes: np.ndarray
    weights: np.ndarray
    sign: float = 1.0


@dataclass(frozen=True)
class SoftQuery:
    terms: list[Term] = field(default_factory=list)

    @property
    def positives(self) -> int:
        return sum(1 for t in self.terms if t.sign > 0)


def word_weights(word_vector: np.ndarray, class_matrix: np.ndarray, *, tau: float = TAU) -> np.ndarray:
    """(C,) weights w_q(c) of the classes for one unit word vector, 1 for the closest class name."""
    cos = class_matrix @ np.asarray(word_vector, dtype=np.float32)
    return np.exp((cos - cos.max()) / tau).astype(np.float32)


def sparse_term(
    weights: np.ndarray,
    *,
    sign: float = 1.0,
    min_weight: float = MIN_WEIGHT,
    max_classes: int = MAX_QUERY_CLASSES,
) -> Term:
    """Keep the classes that matter: weight ≥ min_weight × the largest, at most max_classes of them."""
    weights = np.asarray(weights, dtype=np.float32)
    top = weights.max(initial=0.0)
    if top <= 0:
        return Term(np.zeros(0, np.int64), np.zeros(0, np.float32), sign)
    weights = weights / top
    classes = np.flatnonzero(weights >= min_weight)
    if len(classes) > max_classes:
        classes = classes[np.argpartition(-weights[classes], max_classes - 1)[:max_classes]]
    classes = np.sort(classes)
    return Term(classes, weights[classes], sign)


def word_term(word_vector: np.ndarray, class_matrix: np.ndarray, *, sign: float = 1.0) -> Term:
    return sparse_term(word_weights(word_vector, class_matrix), sign=sign)


def photo_term(probabilities: np.ndarray) -> Term:
    """A photo as a query term: its own class distribution, scaled so its top class weighs 1."""
    return sparse_term(probabilities)


def class_term(class_id: int) -> Term:
    """One class as a query term: the photos' probability of that class is the evidence."""
    return Term(np.array([class_id], np.int64), np.ones(1, np.float32))


def words_query(
    words: list[tuple[float, np.ndarray]],
    class_matrix: np.ndarray,
    *,
    photo: np.ndarray | None = None,
    class_id: int | None = None,
) -> SoftQuery | None:
    """Signed unit word vectors (+1, or −1 for a ``-word``), and optionally a photo's class probabilities and a
    class, as one query; None when it has no positive term (``-words`` push away, they cannot rank on their own)."""
    terms = [word_term(vector, class_matrix, sign=sign) for sign, vector in words]
    if photo is not None:
        terms.append(photo_term(photo))
    if class_id is not None:
        terms.append(class_term(class_id))
    return SoftQuery(terms) if any(t.sign > 0 for t in terms) else None


def term_score(evidence: np.ndarray) -> np.ndarray:
    """log(P · w) mapped onto [0, 1]: 1 when the photo is all in the word's closest class, 0 at FLOOR or below."""
    return 1.0 + np.log(np.maximum(evidence, FLOOR)) / _LOG_FLOOR


def combine(term_evidence: list[np.ndarray], query: SoftQuery) -> np.ndarray:
    """Σ positive term scores − Σ negative ones, divided by the number of positive terms (so at most 1)."""
    total = np.zeros_like(term_evidence[0], dtype=np.float32) if term_evidence else np.zeros(0, np.float32)
    for evidence, term in zip(term_evidence, query.terms):
        total += term.sign * term_score(evidence).astype(np.float32)
    return total / max(1, query.positives)


def dense_scores(probabilities: np.ndarray, query: SoftQuery) -> np.ndarray:
    """Scores of rows of (N, C) probabilities, e.g. photos embedded since the last build."""
    probabilities = np.atleast_2d(probabilities)
    evidence = [probabilities[:, t.classes] @ t.weights for t in query.terms]
    return combine(evidence, query) if evidence else np.zeros(len(probabilities), np.float32)


def exact_search(
    ids: np.ndarray, probabilities: np.ndarray, query: SoftQuery, k: int, exclude=()
) -> list[ann.Neighbour]:
    if k <= 0 or len(ids) == 0 or not query.terms:
        return []
    return _top(ids, dense_scores(probabilities, query), k, exclude)


def _top(ids: np.ndarray, scores: np.ndarray, k: int, exclude) -> list[ann.Neighbour]:
    if len(exclude):
        scores[np.isin(ids, np.fromiter(exclude, dtype=np.int64, count=len(exclude)))] = -np.inf
    top = ann._top_k(scores, min(k, len(ids)))
    top = top[np.isfinite(scores[top])]
    return [(int(i), float(s)) for i, s in zip(ids[top], scores[top])]


class ClassStore:
    """Immutable store of the truncated class probabilities of N photos, in two layouts.

    Column-major (CSC, each column sorted by probability, highest first) finds candidates: the photos most
    likely to be in the query's classes. Row-major (each photo's kept classes and probabilities) scores them
    exactly. Search is the threshold algorithm: read the heads of the query's columns, score what they name,
    and stop once the k-th best score beats the best any photo not yet seen could reach.
    """

    kind = KIND

    def __init__(
        self,
        *,
        path: Path,
        ids: np.ndarray,
        indptr: np.ndarray,
        col_rows: np.ndarray,
        col_values: np.ndarray,
        row_classes: np.ndarray,
        row_values: np.ndarray,
        params: dict,
    ):
        self.path, self.ids, self.params = path, ids, params
        self.indptr, self.col_rows, self.col_values = indptr, col_rows, col_values
        self.row_classes, self.row_values = row_classes, row_values
        self.n_classes = len(indptr) - 1

    def __len__(self) -> int:
        return len(self.ids)

    def _evidence(self, term: Term, rows: np.ndarray) -> np.ndarray:
        """Exact P · w of some rows."""
        dense = np.zeros(self.n_classes, np.float32)
        dense[term.classes] = term.weights
        return (dense[self.row_classes[rows]] * self.row_values[rows]).sum(axis=1)

    def _heads(self, term: Term, depth: int) -> tuple[np.ndarray, float, bool]:
        """Rows in the first ~depth·w entries of each of the term's columns, the most P · w an unread row can
        have, and whether every column was read to its end."""
        starts, ends = self.indptr[term.classes], self.indptr[term.classes + 1]
        reach = np.minimum(ends, starts + np.ceil(depth * term.weights).astype(np.int64))
        rows = [self.col_rows[s:e] for s, e in zip(starts, reach)]
        unread = reach < ends
        bound = float(np.dot(term.weights[unread], self.col_values[reach[unread]]))
        return (np.concatenate(rows) if rows else np.zeros(0, np.int32)), bound, not unread.any()

    def search(self, query: SoftQuery, k: int, *, exclude=()) -> list[ann.Neighbour]:
        n = len(self.ids)
        positives = [t for t in query.terms if t.sign > 0]
        if k <= 0 or not n or not positives:
            return []
        depth = 4 * (k + len(exclude))
        while True:
            heads = [self._heads(t, depth) for t in positives]
            rows = np.unique(np.concatenate([h[0] for h in heads]))
            done = all(h[2] for h in heads)
            if done and len(rows) < min(n, k + len(exclude)):
                rows = np.arange(n)  # too few photos hold any of the classes: the rest tie near zero, score all
            scores = combine([self._evidence(t, rows) for t in query.terms], query)
            found = _top(self.ids[rows], scores, k, exclude)
            ceiling = float(np.sum([term_score(np.float32(h[1])) for h in heads])) / max(1, query.positives)
            if done or (len(found) == k and found[-1][1] >= ceiling):
                return found
            depth *= 4

    def scores_of(self, query: SoftQuery, photo_ids) -> dict[int, float]:
        rows = np.flatnonzero(np.isin(self.ids, np.asarray(list(photo_ids), dtype=np.int64)))
        if not len(rows) or not query.terms:
            return {}
        scores = combine([self._evidence(t, rows) for t in query.terms], query)
        return {int(i): float(s) for i, s in zip(self.ids[rows], scores)}

    def probabilities_of(self, photo_id: int) -> np.ndarray | None:
        """The dense (C,) row of one photo (for "like this one" queries)."""
        row = np.flatnonzero(self.ids == photo_id)
        if not len(row):
            return None
        dense = np.zeros(self.n_classes, np.float32)
        dense[self.row_classes[row[0]]] = self.row_values[row[0]]
        return dense


def build_store(
    *, ids: np.ndarray, probabilities: np.ndarray, directory: Path, name: str, keep: int = KEEP_CLASSES
) -> Path:
    """Write and atomically publish a new version of store `name` under `directory` (same layout rules as ann).

    ``probabilities`` are (N, C) rows from `class_probabilities` (at most `keep` non-zero per row).
    """
    ids = np.asarray(ids, dtype=np.int64)
    probabilities = np.atleast_2d(np.asarray(probabilities, dtype=np.float32))
    n, n_classes = probabilities.shape
    keep = min(keep, n_classes)
    row_classes = np.argpartition(-probabilities, keep - 1, axis=1)[:, :keep] if n else np.zeros((0, keep), int)
    row_values = np.take_along_axis(probabilities, row_classes, axis=1)
    flat_rows = np.repeat(np.arange(n, dtype=np.int32), keep)
    flat_classes, flat_values = row_classes.ravel(), row_values.ravel()
    present = flat_values > 0
    flat_rows, flat_classes, flat_values = flat_rows[present], flat_classes[present], flat_values[present]
    order = np.lexsort((-flat_values, flat_classes))  # by class, then most probable first
    indptr = np.zeros(n_classes + 1, np.int64)
    np.cumsum(np.bincount(flat_classes, minlength=n_classes), out=indptr[1:])
    arrays = {
        "ids": ids,
        "indptr": indptr,
        "col_rows": flat_rows[order],
        "col_values": flat_values[order],
        "row_classes": row_classes.astype(np.uint16),
        "row_values": row_values.astype(np.float32),
    }
    directory.mkdir(parents=True, exist_ok=True)
    staging = directory / f".tmp-{uuid.uuid4().hex}"
    staging.mkdir()
    try:
        started = time.perf_counter()
        for key, array in arrays.items():
            np.save(staging / f"{key}.npy", array)
        manifest = {
            "format": ann.FORMAT_VERSION,
            "kind": KIND,
            "name": name,
            "size": n,
            "dim": n_classes,
            "params": {"kind": KIND, "keep": keep},
            "build_seconds": round(time.perf_counter() - started, 3),
            "created": time.time(),
        }
        ann.manifest_write(staging, manifest)
        return ann.publish(staging, directory, name)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def load_store(path: Path) -> ClassStore:
    """Load a published version, cached per process and checked like an index (ann.load_checked)."""
    return ann.load_checked(path, _load_parts)


def _load_parts(directory: Path, manifest: dict) -> ClassStore:
    arrays = {
        name: np.load(directory / f"{name}.npy")
        for name in ("ids", "indptr", "col_rows", "col_values", "row_classes", "row_values")
    }
    return ClassStore(path=directory, params=manifest["params"], **arrays)
