#!/usr/bin/env bash
# Runs every test: unit, integration (the whole sample server over SQLite and a real PostgreSQL 15), database and
# interoperability tests (Node.js with npm's oauth4webapi as a DPoP client written elsewhere). Starts a throwaway PostgreSQL on loopback unless LUMO_TEST_POSTGRES already names one, and stops it after.
# Ends with one line: "tests: N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/postgres.sh

if [ -z "${LUMO_TEST_POSTGRES:-}" ]; then
  # fsync off: the tests need a real server, not durability.
  if start_throwaway_postgres lumo-pg 55000 "-c fsync=off"; then
    export LUMO_TEST_POSTGRES="Host=127.0.0.1;Port=$PG_PORT;Username=lumo;Database=postgres;Pooling=true"
    echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') started on 127.0.0.1:$PG_PORT for the tests."
  else
    echo "PostgreSQL is not installed: the PostgreSQL tests will be skipped (they fail under CI=true)." >&2
  fi
fi

# The DPoP interoperability test runs a client written elsewhere (npm's oauth4webapi) with Node.js.
if command -v npm >/dev/null 2>&1; then
  npm ci --prefix tests/interop/dpop-client --no-audit --no-fund --loglevel=error >/dev/null || echo "npm ci failed: the DPoP interoperability test will report it." >&2
else
  echo "Node.js is not installed: the DPoP interoperability test will be skipped (it fails under CI=true)." >&2
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
