"""Settings: production's secrets from the environment and Django's deployment checklist; tests' own Redis."""

import os
import subprocess
import sys
from pathlib import Path

import redis

from bench._django import redis_server

ROOT = Path(__file__).resolve().parent.parent.parent


def run_manage(*args, **env):
    # A production environment: nothing of the test run's (SECRET_KEY, DJANGO_*, e.g. the browser tests'
    # DJANGO_ALLOW_ASYNC_UNSAFE, which check --deploy rightly flags).
    # DATABASE_URL: the test run's PostgreSQL, when there is one, is not this environment's database.
    clean = {
        k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL") and not k.startswith("DJANGO_")
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        # ENV_FILE: the developer's own .env (written by `make run`) must not supply a SECRET_KEY here.
        env={**clean, "DJANGO_SETTINGS_MODULE": "searchsite.settings.prod", "ENV_FILE": "/dev/null", **env},
    )


def test_prod_refuses_to_start_without_secret_key(tmp_path):
    result = run_manage("check", ALLOWED_HOSTS="photos.example.org", DATA_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_prod_refuses_a_short_secret_key(tmp_path):
    result = run_manage("check", SECRET_KEY="short", ALLOWED_HOSTS="photos.example.org", DATA_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "at least 50 characters" in result.stderr


def test_prod_passes_check_deploy(tmp_path):
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY="k3#Vq9-zP!r7Lw2@xT5$mN8^bH4&cJ6*dF1(gS0)eY" + "uA7iO2pQ",
        ALLOWED_HOSTS="photos.example.org",
        DATA_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_migrate_works_without_a_data_folder(tmp_path):
    """A fresh clone has no data/: the first `migrate` must create it rather than fail to open the database."""
    data_dir = tmp_path / "fresh" / "data"
    result = run_manage(
        "migrate",
        "--noinput",
        SECRET_KEY="k3#Vq9-zP!r7Lw2@xT5$mN8^bH4&cJ6*dF1(gS0)eY" + "uA7iO2pQ",
        ALLOWED_HOSTS="photos.example.org",
        DATA_DIR=str(data_dir),
    )
    assert result.returncode == 0, result.stderr
    assert (data_dir / "db.sqlite3").is_file()


def test_make_run_settings_keep_debug_off_even_if_the_environment_asks(tmp_path):
    """`make run` serves with searchsite.settings.prod over plain HTTP: no debug pages, whatever .env or the shell
    says."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    result = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings as s; print(s.DEBUG, s.SESSION_COOKIE_SECURE)"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "searchsite.settings.prod",
            "HTTPS": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "DEBUG": "true",
            "SECRET_KEY": "x" * 50,
            "DATA_DIR": str(tmp_path),
        },
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]  # and log-in works over plain HTTP


def test_a_bare_pytest_refuses_to_touch_the_redis_in_redis_url(tmp_path):
    """Ensure pytest run without the runner's Redis (no TEST_REDIS_URL) stops before any test, leaving the Redis of
    REDIS_URL (a running site's queue, in real life) as it was."""
    with redis_server(tmp_path) as url:
        site_redis = redis.Redis.from_url(url)
        site_redis.set("queued-by-the-site", "1")
        env = {k: v for k, v in os.environ.items() if k not in ("TEST_REDIS_URL", "REDIS_URL")}
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "tests/accounts/test_tokens.py", "-q", "-p", "no:cacheprovider"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            env={**env, "REDIS_URL": url},
        )
        assert result.returncode != 0
        assert "TEST_REDIS_URL is not set" in result.stdout + result.stderr
        assert site_redis.get("queued-by-the-site") == b"1"
