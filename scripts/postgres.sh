# Sourced by scripts/test.sh and benchmarks/run.sh: a throwaway PostgreSQL on loopback, stopped and removed on exit.
#   start_throwaway_postgres <data-dir-prefix> <port-base> [extra server options...]
# On success sets PG_PORT (and PG_BIN); returns 1 when PostgreSQL is not installed. Runs the server as the postgres
# user when called as root. Waits for readiness with a deadline, never a fixed sleep.

PG_BIN=""
for candidate in "$(command -v pg_ctl 2>/dev/null || true)" /usr/lib/postgresql/*/bin/pg_ctl; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then PG_BIN="$(dirname "$(readlink -f "$candidate")")"; break; fi
done

_pg_dir=""
_as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
stop_throwaway_postgres() {
  if [ -n "$_pg_dir" ] && [ -d "$_pg_dir" ]; then
    _as_pg "$PG_BIN/pg_ctl" -D "$_pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$_pg_dir"
  fi
}

start_throwaway_postgres() {
  local prefix=$1 port_base=$2
  shift 2
  [ -n "$PG_BIN" ] || return 1
  _pg_dir="$(mktemp -d "/tmp/${prefix}-XXXXXX")"
  chmod 755 "$_pg_dir"
  [ "$(id -u)" = 0 ] && chown postgres "$_pg_dir"
  trap stop_throwaway_postgres EXIT
  PG_PORT=$(( port_base + RANDOM % 1000 ))
  _as_pg "$PG_BIN/initdb" -D "$_pg_dir/data" -U lumo --auth=trust -E UTF8 >/dev/null
  _as_pg "$PG_BIN/pg_ctl" -D "$_pg_dir/data" -l "$_pg_dir/server.log" -w -t 60 \
    -o "-p $PG_PORT -k $_pg_dir -c listen_addresses=127.0.0.1 -c max_connections=200 $*" start >/dev/null
  # pg_ctl -w waits for readiness; confirm it answers before going on.
  local deadline=$(( $(date +%s) + 60 ))
  until "$PG_BIN/pg_isready" -h 127.0.0.1 -p "$PG_PORT" -q; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "PostgreSQL did not become ready" >&2; cat "$_pg_dir/server.log" >&2; exit 1; }
    sleep 0.2
  done
}

# Pins the throwaway server (the postmaster, its running processes, and the backends it forks later) to <cores>.
pin_throwaway_postgres() {
  local pid
  pid=$(head -1 "$_pg_dir/data/postmaster.pid" 2>/dev/null) || return 0
  for p in $pid $(pgrep -P "$pid"); do taskset -apc "$1" "$p" >/dev/null 2>&1 || true; done
}
