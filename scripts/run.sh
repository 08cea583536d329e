#!/usr/bin/env bash
# `make run` (or `make dev`): migrate, collect static files, then supervisord runs Redis, gunicorn, the Celery
# workers and beat (deploy/supervisord.conf), restarting any that dies. Ctrl-C stops them all.
#   scripts/run.sh        gunicorn, DEBUG off (searchsite.settings.prod over plain HTTP), http://127.0.0.1:$PORT  (make run)
#   scripts/run.sh --dev  Django's development server with DEBUG on (searchsite.settings.dev)           (make dev)
#   scripts/run.sh ctl status|restart worker-photos:*|...   supervisorctl for the running site
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PWD/.venv/system/usr/bin:$PATH"
export PORT=${PORT:-8000}
export DATA_DIR=${DATA_DIR:-$PWD/data}
if [ "${1:-}" = "--dev" ]; then
  export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-searchsite.settings.dev}
  export WEB_PROXY=none
  default_web="python manage.py runserver --noreload 127.0.0.1:$PORT"
else
  export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-searchsite.settings.prod}
  export HTTPS=${HTTPS:-false} ALLOWED_HOSTS=${ALLOWED_HOSTS:-127.0.0.1,localhost}  # one machine, plain HTTP
  # nginx (deploy/nginx.conf) in front: slow clients hold nginx's event loop, not gunicorn's sync workers.
  # WEB_PROXY=none serves gunicorn directly on PORT.
  export WEB_PROXY=${WEB_PROXY:-nginx}
  listen="--bind 127.0.0.1:$PORT --access-logfile -"
  [ "$WEB_PROXY" = "nginx" ] && listen="--bind unix:$DATA_DIR/gunicorn.sock"  # nginx logs the requests
  default_web="gunicorn searchsite.wsgi:application $listen --workers ${WEB_WORKERS:-2} --timeout 120 --no-control-socket"
fi
export WEB_COMMAND=${WEB_COMMAND:-$default_web}
export REDIS_PORT=${REDIS_PORT:-6379}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:$REDIS_PORT/0}
export PHOTO_WORKERS=${PHOTO_WORKERS:-1}
mkdir -p "$DATA_DIR/logs" "$DATA_DIR/redis"
if [ "${1:-}" = "ctl" ]; then
  shift
  exec supervisorctl -c deploy/supervisord.conf "$@"
fi

export REDIS_AUTOSTART=true
if redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  echo "searchsite: using the Redis already running on port $REDIS_PORT (its persistence settings are its own)"
  REDIS_AUTOSTART=false
fi

python manage.py migrate --noinput
python manage.py collectstatic --noinput -v0

export PROXY_COMMAND=true PROXY_AUTOSTART=false
if [ "$WEB_PROXY" = "nginx" ]; then
  PROXY_COMMAND=$(scripts/proxy-conf.sh)
  PROXY_AUTOSTART=true
fi
echo "searchsite: http://127.0.0.1:$PORT/  (Ctrl-C stops everything; scripts/run.sh ctl status)"
exec supervisord -c deploy/supervisord.conf
