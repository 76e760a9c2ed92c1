#!/usr/bin/env bash
# Runs every benchmark in one go (under 10 minutes on 2 cores) and prints the ratios last:
#   1. the BenchmarkDotNet microbenchmarks (short job, memory diagnostics),
#   2. the load generator against the sample host on PostgreSQL (durable: fsync on), server pinned to core 0 and
#      the load generator to core 1, then the same host with the pack switched off as the peer.
# Set LUMO_BENCH_POSTGRES to use a PostgreSQL of your own; otherwise a throwaway PostgreSQL 15 is started.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet build -c Release -nologo -clp:ErrorsOnly samples/LumoAuth.Agents.SampleHost
dotnet build -c Release -nologo -clp:ErrorsOnly benchmarks/LumoAuth.Agents.LoadGenerator
dotnet build -c Release -nologo -clp:ErrorsOnly benchmarks/LumoAuth.Agents.Benchmarks

pg_bin=""
for candidate in "$(command -v pg_ctl 2>/dev/null || true)" /usr/lib/postgresql/*/bin/pg_ctl; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then pg_bin="$(dirname "$(readlink -f "$candidate")")"; break; fi
done
pg_dir=""
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
stop_pg() {
  if [ -n "$pg_dir" ] && [ -d "$pg_dir" ]; then
    as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$pg_dir"
  fi
}
trap stop_pg EXIT

if [ -z "${LUMO_BENCH_POSTGRES:-}" ]; then
  [ -n "$pg_bin" ] || { echo "PostgreSQL is not installed; set LUMO_BENCH_POSTGRES." >&2; exit 1; }
  pg_dir="$(mktemp -d /tmp/lumo-bench-pg-XXXXXX)"
  chmod 755 "$pg_dir"
  [ "$(id -u)" = 0 ] && chown postgres "$pg_dir"
  port=$(( 56000 + RANDOM % 1000 ))
  as_pg "$pg_bin/initdb" -D "$pg_dir/data" -U lumo --auth=trust -E UTF8 >/dev/null
  # Durable: fsync and synchronous_commit stay on, so every audit record is on disk before its response.
  as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
    -o "-p $port -k $pg_dir -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
  deadline=$(( $(date +%s) + 60 ))
  until "$pg_bin/pg_isready" -h 127.0.0.1 -p "$port" -q; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "PostgreSQL did not become ready" >&2; exit 1; }
    sleep 0.2
  done
  LUMO_BENCH_POSTGRES="Host=127.0.0.1;Port=$port;Username=lumo;Database=lumo_bench;Pooling=true;Maximum Pool Size=64"
fi

if [ "${SKIP_MICRO:-0}" != 1 ]; then
  echo "== microbenchmarks"
  (cd benchmarks/LumoAuth.Agents.Benchmarks && dotnet run -c Release --no-build -- --filter '*' --job short --memory \
    --artifacts /tmp/lumo-bdn | grep -E '^\||^// \*|Method' || true)
fi

echo "== load"
taskset -c 1 dotnet benchmarks/LumoAuth.Agents.LoadGenerator/bin/Release/net10.0/LumoAuth.Agents.LoadGenerator.dll \
  --host "$PWD/samples/LumoAuth.Agents.SampleHost/bin/Release/net10.0/LumoAuth.Agents.SampleHost.dll" \
  --postgres "$LUMO_BENCH_POSTGRES" --key "$PWD/samples/LumoAuth.Agents.SampleHost/AAuth/research-bot.sample-key.pem" \
  --seconds "${SECONDS_PER_SCENARIO:-15}" --workers "${WORKERS:-32}" --server-core 0
