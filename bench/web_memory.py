"""A web process's memory before and after a text query through a user's trained mapping, which must load
neither TensorFlow nor Keras there, against the same process after loading the Keras form of that mapping (what
web processes did before the mapping was saved as numpy arrays).

    python -m bench.web_memory [--repeats 3]

A throwaway site (SQLite, its own Redis): one user's five sample photos are processed in this process, a
projection is trained on their names and saved as training saves it (numpy arrays) and as the .keras file older
versions saved. Each repeat starts a fresh web-like process (Django set up and warmed as gunicorn warms it, no
model) that reports its RSS after warm-up, after the first text query and after loading the .keras file.
Last stdout line is JSON: MB, medians over the repeats.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys

import numpy as np
from django.core.files.base import ContentFile
from PIL import Image
from skimage import data as samples

from bench._django import ROOT, site

SAMPLES = ("chelsea", "coffee", "astronaut", "rocket", "camera")  # each name is a word the projection learns

WEB_PROCESS = """
import json, sys, django
import numpy as np
django.setup()
from django.contrib.auth import get_user_model
from search import components, query
from search.ml.semantic import Projection

def rss_mb():
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmRSS")) / 1024

components.warm_up_web()
owner = get_user_model().objects.get(username="bench")
warm = rss_mb()
top = query.by_text(owner=owner, q="coffee", k=5)[0].photo.original_name
after_query = rss_mb()
tensorflow = "tensorflow" in sys.modules or "keras" in sys.modules
Projection.load(sys.argv[1]).project(np.zeros((1, 1280), np.float32))
print(json.dumps({"warm": warm, "query": after_query, "keras": rss_mb(), "tensorflow": tensorflow, "top": top}))
"""


def jpeg(name: str) -> bytes:
    out = io.BytesIO()
    Image.fromarray(getattr(samples, name)()).convert("RGB").save(out, "JPEG", quality=90)
    return out.getvalue()


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    with site() as s:
        from django.contrib.auth import get_user_model

        from gallery import services
        from gallery.models import Photo
        from search import components
        from search.index_versions import load_features, owner_dir
        from search.ml.semantic import train_projection
        from search.ml.words import normalize
        from search.models import TextProjection
        from searchsite.celery import app

        app.conf.task_always_eager = True  # the photos are processed here, as a worker would
        owner = get_user_model().objects.create_user("bench", password="a long pass phrase")
        services.photos_upload(owner=owner, files=[ContentFile(jpeg(name), name=f"{name}.jpg") for name in SAMPLES])
        model_key = components.configured_model_key()
        photo_ids, features, _ = load_features(owner_id=owner.id, model_key=model_key)
        names = dict(Photo.objects.filter(id__in=photo_ids).values_list("id", "original_name"))
        words = components.word_space()
        targets = normalize(np.stack([words.vector(names[int(i)].removesuffix(".jpg")) for i in photo_ids]))
        projection = train_projection(features, targets, epochs=20, seed=0)
        arrays_path = owner_dir(owner.id) / f"projection-{model_key}-1.npz"
        projection.export().save(arrays_path)
        keras_path = owner_dir(owner.id) / f"projection-{model_key}-0.keras"
        projection.save(keras_path)
        TextProjection.objects.create(
            owner=owner,
            model_key=model_key,
            path=str(arrays_path),
            n_photos=len(photo_ids),
            n_tags=len(photo_ids),
            zeroshot_score=0.0,
            trained_score=1.0,
            active=True,
        )
        components.classifier(model_key)  # the numpy cache a worker writes when it warms up
        runs = []
        for _ in range(args.repeats):
            done = subprocess.run(
                [sys.executable, "-c", WEB_PROCESS, str(keras_path)],
                cwd=ROOT,
                env=s.child_env(),
                capture_output=True,
                text=True,
                check=True,
            )
            runs.append(json.loads(done.stdout.splitlines()[-1]))
    result = {
        "web_rss_mb_after_warm_up": round(statistics.median(r["warm"] for r in runs), 1),
        "web_rss_mb_after_trained_text_query": round(statistics.median(r["query"] for r in runs), 1),
        "web_rss_mb_after_loading_the_keras_projection": round(statistics.median(r["keras"] for r in runs), 1),
        "tensorflow_or_keras_loaded_by_the_query": any(r["tensorflow"] for r in runs),
        "top_result_for_coffee": runs[0]["top"],
        "repeats": args.repeats,
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
