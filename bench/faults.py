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
- index_damage: an Annoy index (2,100 photos' stored vectors) under a live gunicorn (2 workers) that has loaded it:
  its forest garbled in place (bit rot: 4 KB, size and mtime kept), truncated, its folder deleted, its folder
  replaced by a copy. Per case: tries (similar-photo queries over HTTP), failed answers, web-worker crashes, and
  the seconds until a new version is published (no upload needed).
- checksum: what verifying every file's CRC-32 on load costs, measured on an Annoy index of --checksum-photos
  photos and extrapolated by bytes to 1M photos.
- redis_blip: Redis is down for --blip-seconds while uploads keep arriving over HTTP; each must answer 201 with ids
  (its photos processed once Redis is back) or 503 and store nothing.
- web_master_killed: gunicorn's master gets SIGKILL and is started again at once (as supervisord does); the
  longest gap between answered probes, and what it is made of.
- restore: --restore-photos photos of --restore-owners owners (stored vectors, small files) plus a few pending real
  photos are backed up, the site wiped and restored: rebuilds (one per owner), seconds, and the pending photos
  driven to ready by the worker.

Per scenario: tries, photos lost (uploaded, not deleted, gone), stuck (not ready/failed at the deadline),
duplicated (two rows for one upload, or two vectors of one model for one photo), failed, reprocessed (attempts > 1,
for information), web_crashes where a web server runs, and recover_s: from the fault until every photo is final
(index faults: the slowest rebuild). Last stdout line is JSON.
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import requests
from PIL import Image

from bench._django import (
    ROOT,
    beat_command,
    free_port,
    placeholder_photos,
    site,
    start_redis,
    start_worker,
    stop,
    wait_for_port,
)
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
            SEARCH_INDEX_VERIFY_SECONDS=str(args.verify_seconds),
        )
        self.worker: subprocess.Popen | None = None
        self.beat: subprocess.Popen | None = None
        self.redis: subprocess.Popen | None = None
        self.web: subprocess.Popen | None = None
        self.base = ""
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
        for proc in (self.web, self.beat, self.worker, self.redis):
            if proc is not None:
                stop(proc)

    def start_web(self, *, port: int | None = None, log: Path | None = None) -> subprocess.Popen:
        """gunicorn as `make run` starts it (2 sync workers, gunicorn.conf.py), logging to ``log``."""
        port = port or free_port()
        log = log or self.s.data_dir / "web.log"
        web = subprocess.Popen(
            self._web_command(port, log), cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_for_port(port, proc=web, timeout=120)
        for _ in range(2):  # the port opens before the web processes have warmed up
            requests.get(f"http://127.0.0.1:{port}/accounts/login/", timeout=300).raise_for_status()
        return web

    def ensure_web(self) -> None:
        if self.web is None:
            port = free_port()
            self.web = self.start_web(port=port)
            self.base = f"http://127.0.0.1:{port}"

    def web_boots(self) -> int:
        """Web processes gunicorn has booted so far: each one past the first two replaced a dead one."""
        log = self.s.data_dir / "web.log"
        return log.read_text().count("Booting worker with pid") if log.exists() else 0

    def http(self, owner) -> requests.Session:
        from accounts.services import token_rotate

        session = requests.Session()
        session.headers["Authorization"] = f"Token {token_rotate(user=owner)}"
        return session

    def synthetic_gallery(self, count: int, *, owner=None, files: bool = False):
        """``count`` ready photos with stored vectors of the configured model (no processing): an Annoy-sized
        gallery in seconds. With ``files``, each gets a small original file, as a backup needs."""
        from django.contrib.auth import get_user_model

        from gallery.models import Photo
        from search import components
        from search.models import PhotoEmbedding

        if owner is None:
            self.users += 1
            owner = get_user_model().objects.create_user(username=f"fault-{self.users}")
        name, version = components.model_parts(components.configured_model_key())
        placeholder_photos(owner=owner, count=count, prefix=f"{owner.id:x}-", files=files)
        ids = sorted(Photo.objects.filter(owner=owner).values_list("id", flat=True))[-count:]
        rng = np.random.default_rng(owner.id)
        centres = rng.random((20, 1280), dtype=np.float32)
        vectors = np.maximum(centres[rng.integers(0, 20, count)] + rng.normal(0, 0.3, (count, 1280)), 0)
        PhotoEmbedding.objects.bulk_create(
            [
                PhotoEmbedding(
                    photo_id=i, model_name=name, model_version=version, vector=v.astype(np.float32).tobytes()
                )
                for i, v in zip(ids, vectors)
            ],
            batch_size=2000,
        )
        return owner, ids

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
        self.start_worker()  # supervisord restarts it; the heartbeat, not PHOTO_STUCK_SECONDS, frees its photos
        return {"tries": 1, **self.outcome(owner, ids, set(), started)}

    def index_damage(self) -> dict:
        from search import index_versions
        from search.ml import ann
        from search.models import SearchIndex

        self.ensure_web()
        owner, ids = self.synthetic_gallery(ann.EXACT_MAX_SIZE + 100)
        http = self.http(owner)

        def newest():
            return SearchIndex.objects.filter(owner=owner, space="image").order_by("-id").first()

        def queries(count: int) -> int:
            """Similar-photo queries over HTTP; the number that did not answer 200 with 10 results."""
            failed = 0
            for _ in range(count):
                try:
                    response = http.get(f"{self.base}/api/search/similar/?photo={random.choice(ids)}&k=10", timeout=60)
                    failed += response.status_code != 200 or len(response.json()["results"]) != 10
                except (requests.RequestException, ValueError):
                    failed += 1
            return failed

        def bit_rot(path: Path) -> None:
            forest = path / "index.ann"
            stat = forest.stat()
            with open(forest, "r+b") as file:
                file.seek(stat.st_size // 2)
                file.write(os.urandom(4096))
            os.utime(forest, ns=(stat.st_atime_ns, stat.st_mtime_ns))

        def replace(path: Path) -> None:
            copy = path.with_name(path.name + "-copy")
            shutil.copytree(path, copy)
            shutil.rmtree(path)
            copy.rename(path)

        index_versions.index_rebuild_schedule(owner_id=owner.id, delay=0)
        deadline = time.monotonic() + self.args.timeout
        while (current := newest()) is None:
            if time.monotonic() > deadline:
                raise RuntimeError("the index was never built")
            time.sleep(0.2)
        cases = {
            "garbled": bit_rot,
            "truncated": lambda path: os.truncate(path / "index.ann", (path / "index.ann").stat().st_size // 2),
            "deleted": shutil.rmtree,
            "replaced": replace,
        }
        results = {}
        for case, damage in cases.items():
            queries(20)  # both web processes have loaded the current version
            boots = self.web_boots()
            damage(Path(current.path))
            started = time.monotonic()
            failed = queries(self.args.tries)
            rebuilt = None
            while case != "replaced" and time.monotonic() < started + self.args.timeout:
                if (rebuilt := newest()).id != current.id:
                    break
                time.sleep(0.1)
            results[case] = {
                "tries": self.args.tries,
                "failed_answers": failed,
                "web_crashes": self.web_boots() - boots,
                "recover_s": None if rebuilt is None else round(time.monotonic() - started, 2),
                "searches_answer_after": queries(20) == 0,
            }
            current = rebuilt or current
        return {
            "tries": sum(r["tries"] for r in results.values()),
            "lost": 0,
            "stuck": 0,
            "duplicated": 0,
            "failed_without_reason": 0,
            "web_crashes": sum(r["web_crashes"] for r in results.values()),
            "recover_s": max(r["recover_s"] or 0 for r in results.values()),
            "cases": results,
        }

    def checksum(self) -> dict:
        """Measured on one Annoy index of --checksum-photos random rows, extrapolated by bytes to 1M photos."""
        from search.ml import ann

        n = self.args.checksum_photos
        rng = np.random.default_rng(0)
        vectors = np.maximum(rng.normal(0, 1, (n, 1280)), 0).astype(np.float32)
        folder = self.s.data_dir / "checksum"
        path = ann.build_index(ids=np.arange(n), vectors=vectors, directory=folder, name="c")
        del vectors
        size = sum(f.stat().st_size for f in path.iterdir())
        ann.manifest_read(path)  # the page cache now holds the files, as after a build or an earlier load
        times, loads = [], []
        for _ in range(5):
            started = time.perf_counter()
            ann.manifest_read(path)
            times.append(time.perf_counter() - started)
            ann._load.cache_clear()
            started = time.perf_counter()
            ann.load_index(path)
            loads.append(time.perf_counter() - started)
        verify, load = float(np.median(times)), float(np.median(loads))
        scale = 1_000_000 / n
        return {
            "photos": n,
            "bytes": size,
            "verify_s": round(verify, 3),
            "load_s_with_verify": round(load, 3),
            "verify_share_of_load": round(verify / load, 2),
            "crc_mb_per_s": round(size / verify / 1e6),
            "extrapolated_1m": {"bytes": round(size * scale), "verify_s": round(verify * scale, 2)},
        }

    def redis_blip(self) -> dict:
        from django.contrib.auth import get_user_model

        from gallery.models import Photo

        self.ensure_web()
        self.users += 1
        owner = get_user_model().objects.create_user(username=f"fault-{self.users}")
        http = self.http(owner)
        port = int(self.s.redis_url.rsplit(":", 1)[1].split("/")[0])
        files = small_jpegs(200, offset=self.offset)
        self.offset += 200
        subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], capture_output=True)
        down = time.monotonic()
        answers, ids, tries = {}, [], 0
        while time.monotonic() < down + self.args.blip_seconds and tries * 2 < len(files):
            batch = files[tries * 2 : tries * 2 + 2]
            tries += 1
            try:
                response = http.post(
                    f"{self.base}/api/photos/",
                    files=[("files", (f"{tries}-{i}.jpg", content, "image/jpeg")) for i, content in enumerate(batch)],
                    timeout=60,
                )
                status = response.status_code
                if status == 201:
                    ids += [photo["id"] for photo in response.json()["created"]]
            except requests.RequestException:
                status = "error"
            answers[status] = answers.get(status, 0) + 1
        self.redis = start_redis(port, self.s.data_dir)
        wait_for_port(port, proc=self.redis, timeout=10)
        back = time.monotonic()
        committed = set(Photo.objects.filter(owner=owner).values_list("id", flat=True))
        result = self.outcome(owner, ids, set(), back)
        result["committed_without_ids"] = len(committed - set(ids))
        result["lost"] += result["committed_without_ids"]
        return {"tries": tries, "answers": answers, "outage_s": round(back - down, 1), **result}

    def web_master_killed(self) -> dict:
        """SIGKILL gunicorn's master; a supervisor loop starts it again whenever it is not running, as supervisord's
        autorestart does. Probes every 50 ms measure the longest gap between answers."""
        port = free_port()
        log = self.s.data_dir / "web-master.log"
        web = self.start_web(port=port, log=log)
        url = f"http://127.0.0.1:{port}/accounts/login/"
        answered: list[float] = []
        done = threading.Event()

        def probe() -> None:
            while not done.is_set():
                try:
                    if requests.get(url, timeout=2).status_code == 200:
                        answered.append(time.monotonic())
                except requests.RequestException:
                    pass
                time.sleep(0.05)

        prober = threading.Thread(target=probe, daemon=True)
        prober.start()
        time.sleep(2)
        orphans = [int(pid) for pid in re.findall(r"Booting worker with pid: (\d+)", log.read_text())]
        killed = time.monotonic()
        web.send_signal(signal.SIGKILL)
        web.wait()
        starts, gone = 0, {}
        deadline = killed + 30
        while time.monotonic() < deadline:
            for pid in orphans:
                if pid not in gone and not Path(f"/proc/{pid}").exists():
                    gone[pid] = time.monotonic() - killed
            if web.poll() is not None:  # not running (killed, or it gave up binding a port still held): start it
                starts += 1
                web = subprocess.Popen(
                    self._web_command(port, log),
                    cwd=ROOT,
                    env=self.env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            time.sleep(0.05)
        done.set()
        prober.join()
        stop(web)
        gaps = [b - a for a, b in itertools.pairwise(answered) if b > killed]
        downtime = round(max(gaps), 2) if gaps else None
        return {
            "tries": 1,
            "downtime_s": downtime,
            "orphans_gone_s": round(max(gone.values()), 2) if gone else None,
            "master_starts": starts,
            "answered_after": bool(answered) and answered[-1] > deadline - 5,
            "lost": 0,
            "stuck": 0,
            "duplicated": 0,
            "failed_without_reason": 0,
            "recover_s": downtime,
        }

    @staticmethod
    def _web_command(port: int, log: Path) -> list[str]:
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "searchsite.wsgi:application",
            "-c",
            str(ROOT / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--timeout",
            "120",
            "--error-logfile",
            str(log),
        ]

    def restore(self) -> dict:
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.core.files.base import ContentFile
        from django.core.management import call_command

        from gallery import services
        from gallery.models import Photo
        from search import backups

        per_owner = self.args.restore_photos // self.args.restore_owners
        for _ in range(self.args.restore_owners):
            self.synthetic_gallery(per_owner, files=True)
        self.users += 1
        waiting = get_user_model().objects.create_user(username=f"fault-{self.users}")
        pending = [
            services.photo_create(owner=waiting, file=ContentFile(content, name=f"{i}.jpg")).id
            for i, content in enumerate(small_jpegs(16, offset=self.offset))
        ]  # stored, never announced: pending in the backup
        self.offset += 16
        archive = self.s.data_dir / "restore-bench.tar"
        started = time.monotonic()
        backup = backups.site_backup(target=archive)
        backup_s = time.monotonic() - started
        call_command("flush", interactive=False, verbosity=0)
        shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)
        shutil.rmtree(settings.SEARCH_INDEX_DIR, ignore_errors=True)
        rebuilds = []
        real_rebuild = backups.index_rebuild
        backups.index_rebuild = lambda **kwargs: rebuilds.append(kwargs["owner_id"]) or real_rebuild(**kwargs)
        try:
            started = time.monotonic()
            restored = backups.site_restore(source=archive)
            restore_s = time.monotonic() - started
        finally:
            backups.index_rebuild = real_rebuild
        waiting = get_user_model().objects.get(username=waiting.username)
        result = self.outcome(waiting, pending, set(), time.monotonic())
        return {
            "tries": 1,
            "photos": backup.photos,
            "owners_with_vectors": self.args.restore_owners,
            "rebuilds": len(rebuilds),
            "rebuilds_per_owner": max(rebuilds.count(o) for o in set(rebuilds)) if rebuilds else 0,
            "backup_s": round(backup_s, 1),
            "restore_s": round(restore_s, 1),
            "restored_photos": restored.photos,
            "missing_files": len(restored.missing),
            "orphan_files": len(restored.orphans),
            "pending_restored": len(pending),
            "pending_ready_s": result["recover_s"],
            **{key: result[key] for key in ("lost", "stuck", "duplicated", "failed_without_reason")},
            "recover_s": round(restore_s + result["recover_s"], 1),
            "photos_after": Photo.objects.count(),
        }

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
    parser.add_argument("--stuck-seconds", type=int, default=300, help="PHOTO_STUCK_SECONDS (production's)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds a scenario may take to recover")
    parser.add_argument("--tries", type=int, default=200, help="queries after each index damage")
    parser.add_argument("--checksum-photos", type=int, default=20_000)
    parser.add_argument("--verify-seconds", type=float, default=10, help="SEARCH_INDEX_VERIFY_SECONDS (the scrub)")
    parser.add_argument("--blip-seconds", type=float, default=6.0)
    parser.add_argument("--restore-photos", type=int, default=10_000)
    parser.add_argument("--restore-owners", type=int, default=20)
    parser.add_argument(
        "--scenarios",
        default="delete_mid_batch,redis_restart,worker_killed,index_faults,index_damage,checksum,redis_blip,"
        "web_master_killed,restore",
        help="restore last: it wipes the site",
    )
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
    scenarios = [r for name, r in results.items() if name in args.scenarios.split(",") and name != "checksum"]
    results["ok"] = all(
        "error" not in r
        and r["lost"] == r["stuck"] == r["duplicated"] == r["failed_without_reason"] == r.get("web_crashes", 0) == 0
        for r in scenarios
    )
    print(json.dumps(results))
    return results


if __name__ == "__main__":
    main()
