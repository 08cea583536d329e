#!/usr/bin/env bash
# Make sure the system programs searchsite needs are present: redis-server, nginx (the buffering proxy in front
# of gunicorn in `make run`, deploy/nginx.conf) and tesseract with its English data (the text pass, ocr/) always;
# for the tests also chromium (UI tests), opencv-doc (real sample photos) and PostgreSQL (the suite's second
# database; Debian keeps its programs off PATH, under
# /usr/lib/postgresql/VERSION/bin).
# As root we use apt; otherwise we unpack Debian's packages into .venv/system without installing them.
set -euo pipefail
cd "$(dirname "$0")/.."
want=("redis-server" "nginx" "tesseract")
[ "${1:-}" = "--test" ] && want+=("chromium" "initdb" "opencv-doc")

missing=()
for prog in "${want[@]}"; do
  command -v "$prog" >/dev/null 2>&1 || [ -x ".venv/system/usr/bin/$prog" ] \
    || [ -x "/usr/sbin/$prog" ] || [ -x ".venv/system/usr/sbin/$prog" ] \
    || compgen -G "/usr/lib/postgresql/*/bin/$prog" >/dev/null || compgen -G ".venv/system/usr/lib/postgresql/*/bin/$prog" >/dev/null \
    || { [ "$prog" = opencv-doc ] && { [ -e /usr/share/doc/opencv-doc/examples/data/board.jpg ] \
         || [ -e .venv/system/usr/share/doc/opencv-doc/examples/data/board.jpg ]; }; } \
    || missing+=("$prog")
done
[ ${#missing[@]} -eq 0 ] && exit 0

pkgs=()
for prog in "${missing[@]}"; do
  case "$prog" in
    redis-server) pkgs+=(redis-server redis-tools) ;;
    tesseract) pkgs+=(tesseract-ocr tesseract-ocr-eng) ;;
    nginx) pkgs+=(nginx-light) ;;
    chromium) pkgs+=(chromium) ;;
    initdb) pkgs+=(postgresql) ;;
    opencv-doc) pkgs+=(opencv-doc) ;;  # real sample photos (examples/data): colour and face tests, bench.words/faces
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
  # tesserocr brings its own Tesseract library; from Debian it needs the language data (tessdata).
  (cd "$tmp" && apt-get download ${pkgs[@]/#postgresql/postgresql-15 libpq5} liblzf1 libjemalloc2 >/dev/null)
  for deb in "$tmp"/*.deb; do dpkg -x "$deb" .venv/system; done
  rm -rf "$tmp"
fi
