#!/usr/bin/env bash
# Write DATA_DIR/nginx/nginx.conf from deploy/nginx.conf for a site on PORT (gunicorn on DATA_DIR/gunicorn.sock)
# and print the command that runs nginx with it. Used by scripts/run.sh and bench.slowloris.
# Needs DATA_DIR, PORT and DJANGO_SETTINGS_MODULE (the body limits come from the app's own settings).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PWD/.venv/system/usr/bin:$PATH"
nginx_bin=$(command -v nginx || ls /usr/sbin/nginx .venv/system/usr/sbin/nginx 2>/dev/null | head -1 || true)
[ -n "$nginx_bin" ] || { echo "searchsite: nginx is missing: run scripts/ensure-system.sh (or WEB_PROXY=none)" >&2; exit 1; }
# client_max_body_size from searchsite/request_limits.py, so that nginx and the app never disagree.
read -r body_max upload_body_max < <(python -c \
  'import django; django.setup(); from searchsite.request_limits import body_limits; print(*body_limits())')
mkdir -p "$DATA_DIR"/nginx/{body,proxy,fastcgi,uwsgi,scgi}
sed -e "s|@DATA_DIR@|$DATA_DIR|g" -e "s|@USER@|$(stat -c %U "$DATA_DIR")|g" -e "s|@PORT@|$PORT|g" -e "s|@BODY_MAX@|$body_max|g" \
  -e "s|@UPLOAD_BODY_MAX@|$upload_body_max|g" deploy/nginx.conf >"$DATA_DIR/nginx/nginx.conf"
"$nginx_bin" -t -q -c "$DATA_DIR/nginx/nginx.conf" -p "$DATA_DIR/nginx" -e stderr
echo "$nginx_bin -c $DATA_DIR/nginx/nginx.conf -p $DATA_DIR/nginx -e stderr"
