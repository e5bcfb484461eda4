#!/usr/bin/env bash
# High availability, proven: starts deploy/ha/up.sh's topology (three
# replicas behind HAProxy, a PostgreSQL primary with a synchronous hot
# standby) on free loopback ports, runs tests/ha/chaos.py against it (a
# mixed load of reads and retried writes while a replica and then the
# primary are killed with SIGKILL; revocation, deactivation and throttling
# across replicas; webhooks and the scheduler across the crash), prints
# the measurements, and removes everything it started, even on failure.
# Fails (never skips) when something it needs is missing.
#
#   bash tests/ha/run.sh
#   TESSERA_BIN=target/release/tessera bash tests/ha/run.sh
#
# Logs, the topology's configuration and measurements.json go to
# target/ha-report/.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
report=$root/target/ha-report
pg_bin=${HA_PG_BIN:-/usr/lib/postgresql/15/bin}

missing=()
command -v haproxy >/dev/null || missing+=("haproxy (apt-get install haproxy)")
command -v python3 >/dev/null || missing+=(python3)
command -v curl >/dev/null || missing+=(curl)
for tool in initdb pg_ctl pg_basebackup psql; do
    [ -x "$pg_bin/$tool" ] || missing+=("$pg_bin/$tool (apt-get install postgresql-15)")
done
if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    missing+=("a postgres user to run the clusters as (PostgreSQL refuses root)")
fi
if [ ${#missing[@]} -gt 0 ]; then
    printf 'tests/ha: missing %s\n' "${missing[@]}" >&2
    exit 1
fi

if [ -z "${TESSERA_BIN:-}" ]; then
    cargo build --locked --quiet --bin tessera
    TESSERA_BIN=$root/target/debug/tessera
fi
export TESSERA_BIN

work=$(mktemp -d /tmp/tessera-ha-test.XXXXXX)
chmod 755 "$work" # PostgreSQL runs as `postgres` in there
export HA_DIR=$work/ha
cleanup() {
    local status=$?
    rm -rf "$report" && mkdir -p "$report"
    if [ -d "$HA_DIR" ]; then
        HA_KEEP=1 bash "$root/deploy/ha/down.sh" >/dev/null 2>&1 || true
        cp "$HA_DIR"/*.log "$HA_DIR"/haproxy.cfg "$report/" 2>/dev/null || true
        cp "$HA_DIR"/pg/*.log "$report/" 2>/dev/null || true
    fi
    cp "$work"/measurements.json "$report/" 2>/dev/null || true
    rm -rf "$work"
    [ $status = 0 ] || echo "tests/ha failed; logs in $report" >&2
    exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
export HA_HTTP_PORT=$(free_port) HA_PG_PRIMARY_PORT=$(free_port) HA_PG_STANDBY_PORT=$(free_port)
export HA_REPLICA_PORTS="$(free_port) $(free_port) $(free_port)"
export HA_PG_BIN=$pg_bin
# Every replica sends webhooks and runs the scheduler, often, so that both
# are seen to act once across replicas within the test's few seconds.
export TESSERA_SCHEDULER_INTERVAL=1
export TESSERA_WEBHOOK_POLL_MS=200
export TESSERA_WEBHOOK_TIMEOUT=2
export TESSERA_WEBHOOK_RETRY_DELAY_MS=200
export TESSERA_WEBHOOK_ATTEMPTS=30
export TESSERA_WEBHOOKS_ALLOW_PRIVATE=true
export TESSERA_LOGIN_MAX_FAILURES=5
export TESSERA_WORKERS=2
export TESSERA_DB_POOL_SIZE=4

echo "== tests/ha: starting the topology"
started=$(date +%s.%N)
bash deploy/ha/up.sh
echo "== topology up in $(python3 -c "print(f'{$(date +%s.%N) - $started:.1f}')")s"
# Bounded: the whole scenario takes about a minute; a hang fails the run.
timeout 300 python3 tests/ha/chaos.py "$HA_DIR/ha.env" "$work"
