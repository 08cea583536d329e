"""Everyday word queries over real photos: objects, colours, places, dates and mixes of them (issue 25).

bench/data/everyday.json holds 45 real photos that install offline (scikit-image, Debian opencv-doc's
examples/data, matplotlib's sample_data), some given EXIF dates and GPS positions, and 86 queries, each naming
every photo that answers it. The photos go through the real pipeline (upload → decode → thumbnail → describe →
embed → tags → index, tasks run in-process), then each query is asked and scored by the reciprocal rank of its
first wanted photo in the top K (0 if none is there). MRR is reported by kind and overall; the JSON line is last.

    python -m bench.words                  # through search.query.by_text, what GET /api/search/text/ calls
    python -m bench.words --via signals    # only the query words the place, date and colour signals read

``--via signals`` reads each query with the registered selective signals alone (longest reading first, stop
words skipped) and intersects their answers, best score first; a query with any other word is left out. It
measures those signals on their own, whatever the query code does with them.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

import numpy as np
from PIL import Image

from bench._django import site

DATA = Path(__file__).resolve().parent / "data" / "everyday.json"
K = 20
STOP_WORDS = {"in", "at", "of", "on", "the", "a", "an", "from", "photo", "photos", "picture", "pictures"}
OPENCV_DATA = ("/usr/share/doc/opencv-doc/examples/data", ".venv/system/usr/share/doc/opencv-doc/examples/data")


def load_image(source: str) -> Image.Image:
    """ "skimage:NAME", "opencv:FILE" (Debian's opencv-doc) or "matplotlib:FILE" (its sample_data) → RGB."""
    kind, name = source.split(":", 1)
    if kind == "skimage":
        from skimage import data as samples

        array = samples.stereo_motorcycle()[0] if name == "motorcycle" else getattr(samples, name)()
        return Image.fromarray(np.asarray(array)).convert("RGB")
    if kind == "opencv":
        root = Path(__file__).resolve().parent.parent
        for folder in OPENCV_DATA:
            path = root / folder / name
            if path.exists():
                return Image.open(path).convert("RGB")
        raise FileNotFoundError(f"{name}: install Debian's opencv-doc (apt-get install opencv-doc)")
    if kind == "matplotlib":
        import matplotlib

        return Image.open(Path(matplotlib.get_data_path()) / "sample_data" / name).convert("RGB")
    raise ValueError(source)


def photo_jpeg(spec: dict, *, today: date) -> bytes:
    """The photo as a phone would store it: a JPEG with EXIF DateTimeOriginal and GPS where the set gives them."""
    exif = Image.Exif()
    if taken := spec.get("taken"):
        taken = taken.format(last_year=today.year - 1)
        exif.get_ifd(0x8769)[36867] = taken.replace("-", ":", 2)
    if gps := spec.get("gps"):
        latitude, longitude = gps

        def dms(value: float) -> tuple[float, float, float]:
            value = abs(value)
            degrees, minutes = int(value), int(value * 60) % 60
            return float(degrees), float(minutes), round(value * 3600 - degrees * 3600 - minutes * 60, 4)

        exif[0x8825] = {
            1: "N" if latitude >= 0 else "S",
            2: dms(latitude),
            3: "E" if longitude >= 0 else "W",
            4: dms(longitude),
        }
    out = io.BytesIO()
    load_image(spec["source"]).save(out, "JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()


def reciprocal_rank(ranked: list[str], wanted: set[str]) -> float:
    for rank, name in enumerate(ranked[:K], start=1):
        if name in wanted:
            return 1.0 / rank
    return 0.0


def ask_query(owner, q: str) -> list[tuple[str, str | None]] | None:
    """(photo name, label) of the top K, through what GET /api/search/text/ calls (typos corrected)."""
    from search import query

    try:
        hits = query.text_search(owner=owner, q=q, k=K).hits
    except query.QueryError:
        return []
    return [(hit.photo.original_name.removesuffix(".jpg"), hit.match) for hit in hits]


def ask_signals(owner, q: str) -> list[tuple[str, str | None]] | None:
    """Read the query with the selective signals alone; None when a word is none of theirs (not a stop word)."""
    from gallery.models import Photo
    from search.signals import SIGNALS
    from search.signals.base import Candidates, Term

    tokens, terms, i = q.lower().split(), [], 0
    while i < len(tokens):
        readings = [
            (reading, signal)
            for signal in SIGNALS
            if signal.selective and (reading := signal.read(owner=owner, tokens=tokens[i:]))
        ]
        if readings:
            reading, signal = max(readings, key=lambda pair: pair[0].length)  # ties: the earlier signal
            words = " ".join(tokens[i : i + reading.length])
            terms.append((signal, Term(text=words, signal=signal.name, kind=signal.kind, value=reading.value)))
            i += reading.length
        elif tokens[i] in STOP_WORDS:
            i += 1
        else:
            return None
    scores: dict[int, float] | None = None
    for signal in {signal for signal, _ in terms}:
        mine = [term for s, term in terms if s is signal]
        answer = signal.answer(owner=owner, terms=mine, within=Candidates(), k=K).listed()
        scores = answer if scores is None else {i: s * answer[i] for i, s in scores.items() if i in answer}
    names = dict(Photo.objects.filter(id__in=list(scores or {})).values_list("id", "original_name"))
    ranked = sorted(scores or {}, key=lambda photo_id: (-scores[photo_id], photo_id))
    return [(names[photo_id].removesuffix(".jpg"), None) for photo_id in ranked]


def evaluate(owner, queries: list, *, via: str, repeats: int) -> dict:
    ask = ask_query if via == "query" else ask_signals
    by_kind: dict[str, list[float]] = defaultdict(list)
    misses, latencies, labelled, mislabelled = (
        [],
        [],
        [],
        [],
    )  # labelled: (kind, right?) of each result labelled possible or strong
    for kind, q, wanted in queries:
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            ranked = ask(owner, q)
            times.append(time.perf_counter() - started)
        if ranked is None:
            continue
        latencies.append(statistics.median(times))
        labelled += [(kind, name in wanted) for name, match in ranked if match in ("strong", "possible")]
        if wrong := [
            f"{name} ({match})" for name, match in ranked if match in ("strong", "possible") and name not in wanted
        ]:
            mislabelled.append({"q": q, "kind": kind, "wrong": wrong})
        ranked = [name for name, _ in ranked]
        rr = reciprocal_rank(ranked, set(wanted))
        by_kind[kind].append(rr)
        if rr < 1:
            misses.append({"q": q, "rr": round(rr, 3), "top": ranked[:3], "wanted": wanted})
    all_rr = [rr for values in by_kind.values() for rr in values]
    return {
        "via": via,
        "queries": len(all_rr),
        "mrr": round(statistics.fmean(all_rr), 4) if all_rr else None,
        **{f"mrr_{kind}": round(statistics.fmean(values), 4) for kind, values in sorted(by_kind.items())},
        **{f"n_{kind}": len(values) for kind, values in sorted(by_kind.items())},
        # Of the results labelled "possible" or "strong", the share that answers no query word (target ≤ 0.05).
        "labelled_possible_or_better": len(labelled),
        "wrong_share_of_possible_or_better": (
            round(1 - statistics.fmean(r for _, r in labelled), 4) if labelled else None
        ),
        **{
            f"wrong_labelled_{kind}": round(1 - statistics.fmean(r for k, r in labelled if k == kind), 4)
            for kind in sorted({k for k, _ in labelled})
        },
        "median_query_ms": round(1000 * statistics.median(latencies), 2) if latencies else None,
        "misses": misses,
        "mislabelled": mislabelled,
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--via", choices=["query", "signals"], default="query")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each query; the median time is reported")
    parser.add_argument("--photos", type=int, help="only the first N photos, and the queries they answer (smoke)")
    args = parser.parse_args(argv)
    data = json.loads(DATA.read_text())
    if args.photos:
        kept = dict(list(data["photos"].items())[: args.photos])
        data = {"photos": kept, "queries": [q for q in data["queries"] if set(q[2]) <= set(kept)]}
    with site():
        from django.contrib.auth import get_user_model
        from django.core.files.base import ContentFile

        from gallery import services
        from gallery.models import Photo
        from searchsite.celery import app

        app.conf.task_always_eager = True  # the pipeline's tasks run here, one after the other
        owner = get_user_model().objects.create_user(username="everyday", password=os.urandom(8).hex())
        today = date.today()
        files = [
            ContentFile(photo_jpeg(spec, today=today), name=f"{name}.jpg") for name, spec in data["photos"].items()
        ]
        started = time.perf_counter()
        result = services.photos_upload(owner=owner, files=files)
        ingest_s = time.perf_counter() - started
        ready = Photo.objects.filter(owner=owner, status=Photo.Status.READY).count()
        assert not result.rejected and ready == len(files), (result.rejected, ready)
        report = evaluate(owner, data["queries"], via=args.via, repeats=args.repeats)
    for miss in report.pop("misses"):
        print(f"  rr {miss['rr']:.3f}  {miss['q']!r}: top {miss['top']}, wanted {miss['wanted']}")
    for wrong in report.pop("mislabelled"):
        print(f"  labelled but wrong  {wrong['kind']} {wrong['q']!r}: {', '.join(wrong['wrong'])}")
    summary = {"bench": "words", "photos": len(files), "ingest_s": round(ingest_s, 1), "k": K, **report}
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
