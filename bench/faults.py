"""Faults at scale: every photo ends `ready` or `failed` with a reason, none lost, stuck or duplicated.

    python -m bench.faults [--photos 224] [--stuck-seconds 10] [--timeout 600]

A throwaway site (its own data folder, SQLite database and Redis) with one real Celery worker (solo pool) and a
separate `celery beat` running the photo reconciler. Photos are small distinct JPEGs (crops of scikit-image
samples), stored through gallery.services as an upload would, then one fault per scenario:

- delete_mid_batch: one photo of every batch is deleted while that batch is being processed;
- redis_restart: Redis is killed and restarted without persistence right after the upload (the queued messages
  are lost; the worker holds a debounced rebuild's countdown task as it loses the broker);
- worker_killed: the worker gets SIGKILL mid-processing and a new one is started;
- index_faults: with the photos' index published, its folder is deleted, then its manifest garbled, then its
  vectors truncated; a query runs after each (exact scan) and the rebuild that follows is timed.

Per scenario: photos lost (uploaded, not deleted, gone), stuck (not ready/failed at the deadline), duplicated
(two rows for one upload, or two vectors of one model for one photo), failed, reprocessed (attempts > 1,
for information) and recover_s: from the fault until every photo is final (index_faults: the slowest
rebuild). Last stdout line is JSON.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image

from bench._django import ROOT, beat_command, site, start_redis, start_worker, stop, wait_for_port
from search.ml import ann


def _truncate_vectors(path: Path) -> None:
    for name in ("vectors.npy", "codes.npy"):
        if (path / name).exists():
            os.truncate(path / name, 100)


# What happens to a published index version's folder under a running site (the benchmark and tests/faults both
# apply these): it is deleted, its manifest garbled, its arrays truncated.
INDEX_FAULTS = {
    "missing_folder": shutil.rmtree,
    "garbled_manifest": lambda path: (path / ann.MANIFEST).write_text('{"kind": '),
    "truncated_vectors": _truncate_vectors,
}


def small_jpegs(count: int, *, offset: int = 0, side: int = 192) -> list[bytes]:
    """Distinct small JPEGs: crops at different offsets of the scikit-image sample photos, some mirrored."""
    from skimage import data as samples

    sources = [
        Image.fromarray(getattr(samples, name)()).convert("RGB")
        for name in ("astronaut", "chelsea", "coffee", "rocket", "camera", "hubble_deep_field")
    ]
    files = []
    for i in range(offset, offset + count):
        source = sources[i % len(sources)]
        step = i // len(sources)
        x = (step * 17) % (source.width - side)
        y = (step * 29) % (source.height - side)
        crop = source.crop((x, y, x + side, y + side))
        if step % 2:
            crop = crop.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        out = io.BytesIO()
        crop.save(out, "JPEG", quality=85)
        files.append(out.getvalue())
    return files


class Bench:
    def __init__(self, s, args):
        self.s, self.args = s, args
        self.env = s.child_env(
            PHOTO_STUCK_SECONDS=str(args.stuck_seconds),
            PHOTO_RECONCILE_SECONDS="1",
            SEARCH_INDEX_DEBOUNCE_SECONDS="2",
        )
        self.worker: subprocess.Popen | None = None
        self.beat: subprocess.Popen | None = None
        self.redis: subprocess.Popen | None = None
        self.offset = 0
        self.users = 0

    # Processes -----------------------------------------------------------------------------------------------

    def start_worker(self) -> None:
        from searchsite.celery import app

        self.worker = start_worker(self.s, env=self.env, loglevel="ERROR")
        deadline = time.monotonic() + 300
        while not self.answers(app):
            if time.monotonic() > deadline or self.worker.poll() is not None:
                raise RuntimeError("the celery worker did not start")

    @staticmethod
    def answers(app) -> bool:
        try:
            return bool(app.control.ping(timeout=0.5))
        except Exception:  # a pooled connection from before a Redis restart: drop the pools and ask again
            app._after_fork()
            return False

    def start_beat(self) -> None:
        self.beat = subprocess.Popen(
            beat_command(schedule=self.s.data_dir / "beat-schedule", loglevel="ERROR"),
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
        )

    def restart_redis(self) -> None:
        """Kill the site's Redis (no persistence: its queue is lost) and start an empty one on the same port."""
        port = int(self.s.redis_url.rsplit(":", 1)[1].split("/")[0])
        subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], capture_output=True)
        time.sleep(1)
        self.redis = start_redis(port, self.s.data_dir)
        wait_for_port(port, proc=self.redis, timeout=10)

    def stop_all(self) -> None:
        for proc in (self.beat, self.worker, self.redis):
            if proc is not None:
                stop(proc)

    # Photos --------------------------------------------------------------------------------------------------

    def upload(self, count: int):
        """A fresh owner's photos, stored as uploads are and announced in batches (queued on commit)."""
        from django.contrib.auth import get_user_model
        from django.core.files.base import ContentFile
        from django.db import OperationalError, transaction

        from gallery import services

        self.users += 1
        owner = get_user_model().objects.create_user(username=f"fault-{self.users}")
        files = small_jpegs(count, offset=self.offset)
        self.offset += count
        ids = []
        for start in range(0, count, 32):  # one request per 32 files, as the upload page sends them
            for attempt in range(5):  # SQLite may be busy with the worker's writes: a client would try again
                try:
                    with transaction.atomic():
                        result = services.photos_upload(
                            owner=owner,
                            files=[
                                ContentFile(content, name=f"{start + i}.jpg")
                                for i, content in enumerate(files[start : start + 32])
                            ],
                        )
                    break
                except OperationalError:
                    if attempt == 4:
                        raise
            assert not result.rejected and not result.duplicates, (result.rejected, result.duplicates)
            ids += [photo.id for photo in result.created]
        return owner, ids

    def outcome(self, owner, ids: list[int], deleted: set[int], started: float) -> dict:
        """Wait until the owner's photos are final (or the deadline), then count."""
        from gallery.models import Photo
        from search.models import PhotoEmbedding

        deadline = started + self.args.timeout
        photos = Photo.objects.filter(owner=owner)
        while photos.filter(status__in=["pending", "processing"]).exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        recover = time.monotonic() - started
        rows = dict(photos.values_list("id", "status"))
        errors = dict(photos.filter(status="failed").values_list("id", "error"))
        embedded = list(PhotoEmbedding.objects.filter(photo__owner=owner).values_list("photo_id", "model_name"))
        shas = list(photos.values_list("sha256", flat=True))
        return {
            "photos": len(ids),
            "deleted": len(deleted),
            "lost": len(set(ids) - deleted - set(rows)),
            "stuck": sum(status in ("pending", "processing") for status in rows.values()),
            "duplicated": (len(shas) - len(set(shas)))
            + (len(embedded) - len(set(embedded)))
            + len(set(rows) - set(ids)),
            "failed": len(errors),
            "failed_without_reason": sum(not error for error in errors.values()),
            "reprocessed": photos.filter(attempts__gt=1).count(),
            "recover_s": round(recover, 1),
        }

    def wait_processing(self, ids: list[int], timeout: float = 120) -> int | None:
        from gallery.models import Photo

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = Photo.objects.filter(id__in=ids, status="processing").values_list("id", flat=True).first()
            if found:
                return found
            time.sleep(0.005)
        return None

    # Scenarios -----------------------------------------------------------------------------------------------

    def delete_mid_batch(self) -> dict:
        from gallery import services
        from gallery.models import Photo

        owner, ids = self.upload(self.args.photos)
        batches = [ids[i : i + 32] for i in range(0, len(ids), 32)]
        deleted: set[int] = set()
        started = None
        for batch in batches:
            victim = self.wait_processing(batch)
            if victim is None:
                continue
            started = started or time.monotonic()
            try:
                services.photo_delete(photo=Photo.objects.get(id=victim))
                deleted.add(victim)
            except Photo.DoesNotExist:
                pass
        return self.outcome(owner, ids, deleted, started or time.monotonic())

    def redis_restart(self) -> dict:
        owner, ids = self.upload(self.args.photos)
        self.wait_processing(ids)
        started = time.monotonic()
        self.restart_redis()
        result = self.outcome(owner, ids, set(), started)
        result["worker_survived"] = self.worker.poll() is None
        if not result["worker_survived"]:
            self.start_worker()
        return result

    def worker_killed(self) -> dict:
        owner, ids = self.upload(self.args.photos)
        self.wait_processing(ids)
        started = time.monotonic()
        self.worker.send_signal(signal.SIGKILL)
        self.worker.wait()
        self.start_worker()
        return self.outcome(owner, ids, set(), started)

    def index_faults(self) -> dict:
        from search import query
        from search.models import SearchIndex

        owner, ids = self.upload(self.args.photos)
        result = self.outcome(owner, ids, set(), time.monotonic())

        def newest():
            return SearchIndex.objects.filter(owner=owner, space="image").order_by("-id").first()

        deadline = time.monotonic() + self.args.timeout
        while (current := newest()) is None or current.size < len(ids):
            if time.monotonic() > deadline:
                raise RuntimeError("the index was never built")
            time.sleep(0.2)

        rebuilds, answered = {}, 0
        for fault, damage in INDEX_FAULTS.items():
            damage(Path(current.path))
            ann._load.cache_clear()  # as a process that had not loaded it yet
            started = time.monotonic()
            answered += len(query.similar_to_photo(owner=owner, photo_id=ids[0], k=10)) == 10
            while (rebuilt := newest()).id == current.id and time.monotonic() < started + self.args.timeout:
                time.sleep(0.05)
            rebuilds[fault] = round(time.monotonic() - started, 2)
            current = rebuilt
        result.update(recover_s=max(rebuilds.values()), rebuild_s=rebuilds, queries_answered=f"{answered}/3")
        return result


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=224, help="photos per scenario (7 batches of 32)")
    parser.add_argument("--stuck-seconds", type=int, default=10, help="PHOTO_STUCK_SECONDS for the reconciler")
    parser.add_argument("--timeout", type=float, default=600, help="seconds a scenario may take to recover")
    parser.add_argument("--scenarios", default="delete_mid_batch,redis_restart,worker_killed,index_faults")
    args = parser.parse_args(argv)

    with site() as s:
        bench = Bench(s, args)
        try:
            bench.start_worker()
            bench.start_beat()
            results = {}
            for name in args.scenarios.split(","):
                try:
                    results[name] = getattr(bench, name)()
                except Exception as exc:  # one scenario's crash is reported, and the others still run
                    results[name] = {"error": repr(exc)[:300]}
                print(name, results[name], file=sys.stderr, flush=True)
        finally:
            bench.stop_all()
    results["settings"] = {
        "photos": args.photos,
        "PHOTO_STUCK_SECONDS": args.stuck_seconds,
        "PHOTO_RECONCILE_SECONDS": 1,
    }
    results["load_average_1m"] = round(os.getloadavg()[0], 2)  # 2 shared cores: recovery times depend on it
    scenarios = [r for name, r in results.items() if name in args.scenarios.split(",")]
    results["ok"] = all(
        "error" not in r and r["lost"] == r["stuck"] == r["duplicated"] == r["failed_without_reason"] == 0
        for r in scenarios
    )
    print(json.dumps(results))
    return results


if __name__ == "__main__":
    main()
