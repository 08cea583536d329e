#!/usr/bin/env bash
# Make sure the system programs searchsite needs are present: redis-server and nginx (the buffering proxy in front
# of gunicorn in `make run`, deploy/nginx.conf) always; for the tests also chromium (UI tests) and PostgreSQL (the suite's second database; Debian keeps its programs off PATH, under
# /usr/lib/postgresql/VERSION/bin).
# As root we use apt; otherwise we unpack Debian's packages into .venv/system without installing them.
set -euo pipefail
cd "$(dirname "$0")/.."
want=("redis-server" "nginx")
[ "${1:-}" = "--test" ] && want+=("chromium" "initdb")

missing=()
for prog in "${want[@]}"; do
  command -v "$prog" >/dev/null 2>&1 || [ -x ".venv/system/usr/bin/$prog" ] \
    || [ -x "/usr/sbin/$prog" ] || [ -x ".venv/system/usr/sbin/$prog" ] \
    || compgen -G "/usr/lib/postgresql/*/bin/$prog" >/dev/null || compgen -G ".venv/system/usr/lib/postgresql/*/bin/$prog" >/dev/null \
    || missing+=("$prog")
done
[ ${#missing[@]} -eq 0 ] && exit 0

pkgs=()
for prog in "${missing[@]}"; do
  case "$prog" in
    redis-server) pkgs+=(redis-server redis-tools) ;;
    nginx) pkgs+=(nginx-light) ;;
    chromium) pkgs+=(chromium) ;;
    initdb) pkgs+=(postgresql) ;;
  esac
done
echo "Installing ${pkgs[*]} ..."
if [ "$(id -u)" = "0" ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
else
  # No root: fetch the .debs and unpack them under .venv/system (bin/ is added to PATH by our scripts).
  tmp=$(mktemp -d)
  # "postgresql" is only a dependency package: fetch the server itself and its client library.
  (cd "$tmp" && apt-get download ${pkgs[@]/#postgresql/postgresql-15 libpq5} liblzf1 libjemalloc2 >/dev/null)
  for deb in "$tmp"/*.deb; do dpkg -x "$deb" .venv/system; done
  rm -rf "$tmp"
fi
