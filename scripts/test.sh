#!/usr/bin/env bash
# Runs every test: unit, integration (the whole sample server over SQLite and a real PostgreSQL 15) and database
# tests. Starts a throwaway PostgreSQL on loopback unless LUMO_TEST_POSTGRES already names one, and stops it after.
# Ends with one line: "tests: N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."

pg_bin=""
for candidate in "$(command -v pg_ctl 2>/dev/null || true)" /usr/lib/postgresql/*/bin/pg_ctl; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then pg_bin="$(dirname "$(readlink -f "$candidate")")"; break; fi
done

pg_dir=""
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
stop_pg() {
  if [ -n "$pg_dir" ] && [ -d "$pg_dir" ]; then
    as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$pg_dir"
  fi
}
trap stop_pg EXIT

if [ -z "${LUMO_TEST_POSTGRES:-}" ]; then
  if [ -z "$pg_bin" ]; then
    echo "PostgreSQL is not installed: the PostgreSQL tests will be skipped (they fail under CI=true)." >&2
  else
    pg_dir="$(mktemp -d /tmp/lumo-pg-XXXXXX)"
    chmod 755 "$pg_dir"
    [ "$(id -u)" = 0 ] && chown postgres "$pg_dir"
    port=$(( 55000 + RANDOM % 1000 ))
    as_pg "$pg_bin/initdb" -D "$pg_dir/data" -U lumo --auth=trust -E UTF8 >/dev/null
    as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
      -o "-p $port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
    # pg_ctl -w waits for readiness; confirm with a query before the tests start.
    deadline=$(( $(date +%s) + 60 ))
    until "$pg_bin/pg_isready" -h 127.0.0.1 -p "$port" -q; do
      [ "$(date +%s)" -lt "$deadline" ] || { echo "PostgreSQL did not become ready" >&2; cat "$pg_dir/server.log" >&2; exit 1; }
      sleep 0.2
    done
    export LUMO_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=lumo;Database=postgres;Pooling=true"
    echo "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') started on 127.0.0.1:$port for the tests."
  fi
fi

results="$(mktemp -d /tmp/lumo-test-results-XXXXXX)"
status=0
dotnet test LumoAuth.Agents.sln --logger "trx;LogFilePrefix=run" --results-directory "$results" "$@" || status=$?

passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  line=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$line"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$line")
  t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$line"); e=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$line")
  n=$(( ${t:-0} - ${e:-0} ))  # skipped (ignored) tests are counted as not executed
  passed=$(( passed + ${p:-0} )); failed=$(( failed + ${f:-0} )); skipped=$(( skipped + ${n:-0} ))
done
rm -rf "$results"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit "$status"
