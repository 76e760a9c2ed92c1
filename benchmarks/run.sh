#!/usr/bin/env bash
# Runs every benchmark in one go (under 10 minutes on 2 cores) and prints the ratios last:
#   1. the BenchmarkDotNet microbenchmarks (short job, memory diagnostics),
#   2. the load generator against the sample host on PostgreSQL (durable: fsync on), server pinned to core 0, the
#      load generator and PostgreSQL to core 1, then the same host with the pack switched off as the peer.
# Set LUMO_BENCH_POSTGRES to use a PostgreSQL of your own; otherwise a throwaway PostgreSQL 15 is started.
# SKIP_MICRO=1 skips the microbenchmarks; ONLY=a,b runs those load scenarios only (e.g.
# ONLY=client_credentials,client_credentials_dpop for the DPoP ratio).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet build -c Release -nologo -clp:ErrorsOnly samples/LumoAuth.Agents.SampleHost
dotnet build -c Release -nologo -clp:ErrorsOnly benchmarks/LumoAuth.Agents.LoadGenerator
dotnet build -c Release -nologo -clp:ErrorsOnly benchmarks/LumoAuth.Agents.Benchmarks

source scripts/postgres.sh

if [ -z "${LUMO_BENCH_POSTGRES:-}" ]; then
  # Durable: fsync and synchronous commit stay on, so every audit record is on disk before its response.
  start_throwaway_postgres lumo-bench-pg 56000 || { echo "PostgreSQL is not installed; set LUMO_BENCH_POSTGRES." >&2; exit 1; }
  # The server under test gets core 0 to itself: the database shares core 1 with the load generator.
  pin_throwaway_postgres 1
  LUMO_BENCH_POSTGRES="Host=127.0.0.1;Port=$PG_PORT;Username=lumo;Database=lumo_bench;Pooling=true;Maximum Pool Size=64"
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
  --seconds "${SECONDS_PER_SCENARIO:-10}" --workers "${WORKERS:-32}" --server-core 0 ${ONLY:+--only "$ONLY"}
