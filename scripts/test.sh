#!/usr/bin/env bash
# `make test`: our own Redis (and PostgreSQL 15) on free ports, torn down after; then pytest, which starts real
# Celery workers where it needs them.
#
#   TEST_DATABASES="sqlite postgres" (what `make test` sets): the suite on SQLite, then again on a throwaway
#   PostgreSQL cluster. With no pytest arguments the PostgreSQL pass leaves out the browser and `make run` tests
#   (-m "not browser and not stack"): they exercise the UI and the process manager, not the database.
#   TEST_DATABASES=sqlite (the default of scripts/test.sh) or =postgres: one database only.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PWD/.venv/system/usr/bin:$PATH"
free_port() { python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

tmp=$(mktemp -d)
pids=()
cleanup() {
  [ -f "$tmp/pg/data/postmaster.pid" ] && as_pg pg_ctl -D "$tmp/pg/data" -m immediate stop >/dev/null 2>&1
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$tmp" --daemonize no \
  >"$tmp/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
export TEST_REDIS_URL="redis://127.0.0.1:$redis_port/0"  # the only Redis the suite may use (settings/test.py)

# PostgreSQL refuses to run as root: as root the cluster belongs to the `postgres` user the Debian package creates.
as_pg() {
  if [ "$(id -u)" = "0" ]; then (cd "$tmp" && runuser -u postgres -- env PATH="$PATH" "$@"); else "$@"; fi
}

start_postgres() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin "$PWD"/.venv/system/usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$bin" ] || { echo "PostgreSQL is not installed: run scripts/ensure-system.sh --test" >&2; return 1; }
  export PATH="$bin:$PATH"
  local port
  port=$(free_port)
  mkdir -p "$tmp/pg"
  [ "$(id -u)" = "0" ] && chown postgres "$tmp" "$tmp/pg" && chmod 755 "$tmp"
  as_pg initdb -D "$tmp/pg/data" -U searchsite --auth=trust -E UTF8 --no-sync >"$tmp/pg/initdb.log" 2>&1 \
    || { cat "$tmp/pg/initdb.log" >&2; return 1; }
  # A throwaway cluster: durability off for speed (the tests never outlive it).
  as_pg pg_ctl -D "$tmp/pg/data" -l "$tmp/pg/server.log" -w -t 60 start -o \
    "-p $port -k $tmp/pg -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    >/dev/null || { cat "$tmp/pg/server.log" >&2; return 1; }
  export DATABASE_URL="postgres://searchsite@127.0.0.1:$port/searchsite"
}

status=0
for db in ${TEST_DATABASES:-sqlite}; do
  case "$db" in
    sqlite)
      echo "=== tests on SQLite"
      env -u DATABASE_URL python -m pytest "$@" || status=1
      ;;
    postgres)
      echo "=== tests on PostgreSQL"
      start_postgres || { status=1; continue; }
      if [ $# -eq 0 ]; then
        python -m pytest -m "not browser and not stack" || status=1
      else
        python -m pytest "$@" || status=1
      fi
      ;;
    *) echo "unknown database in TEST_DATABASES: $db" >&2; status=1 ;;
  esac
done
exit $status
