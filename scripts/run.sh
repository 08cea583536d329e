#!/usr/bin/env bash
# `make run`: Redis, one Celery worker and the web server together; Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PWD/.venv/system/usr/bin:$PATH"
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-searchsite.settings.dev}
REDIS_PORT=${REDIS_PORT:-6379}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:$REDIS_PORT/0}
mkdir -p data

pids=()
cleanup() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$PWD/data" &
  pids+=($!)
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
fi
# One worker process (solo pool): the model is loaded once, in the process that runs the tasks, and uses
# both cores itself; TensorFlow does not survive a fork, which rules out preloading in a prefork parent.
celery -A searchsite worker --loglevel=INFO --pool=solo &
pids+=($!)
# No autoreload: this serves the site; a code change means a restart of the worker too.
python manage.py runserver --noreload 127.0.0.1:${PORT:-8000} &
pids+=($!)
echo "searchsite: http://127.0.0.1:${PORT:-8000}/  (Ctrl-C stops Redis, the worker and the web server)"
wait -n
