#!/usr/bin/env bash
# Stops what deploy/ha/up.sh started in HA_DIR (default /tmp/tessera-ha):
# HAProxy, the Tessera replicas, both PostgreSQL servers; then removes
# HA_DIR, unless HA_KEEP=1 (to read the logs). Safe to run twice, and after a
# test killed some of the processes itself.
set -uo pipefail
dir=${HA_DIR:-/tmp/tessera-ha}
[ -f "$dir/ha.env" ] || { echo "nothing to stop in $dir"; exit 0; }
# shellcheck disable=SC1091
. "$dir/ha.env"

# stop PID NAME: TERM, then KILL after 10 s; only a process whose command
# line still names NAME (a pid may have been reused since).
stop() {
    local pid=$1 name=$2
    [ -n "$pid" ] || return 0
    grep -qa -- "$name" "/proc/$pid/cmdline" 2>/dev/null || return 0
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
}

if [ "$(id -u)" = 0 ] && [ "${HA_PG_USER:-}" != root ]; then
    as_pg() { runuser -u "$HA_PG_USER" -- "$@"; }
else
    as_pg() { "$@"; }
fi

stop "${HA_HAPROXY_PID:-}" haproxy
for var in $(compgen -v | grep -E '^HA_REPLICA_[0-9]+_PID$'); do
    stop "${!var}" tessera &
done
wait
for data in "$HA_PG_PRIMARY_DATA" "$HA_PG_STANDBY_DATA"; do
    if [ -f "$data/postmaster.pid" ]; then
        as_pg "$HA_PG_BIN/pg_ctl" -D "$data" -m immediate -w -t 20 stop >/dev/null 2>&1 || true
    fi
done
# A postmaster pg_ctl could not stop (its data directory gone).
stop "${HA_PG_PRIMARY_PID:-}" postgres
stop "${HA_PG_STANDBY_PID:-}" postgres

if [ "${HA_KEEP:-0}" = 1 ]; then
    rm -f "$dir/ha.env.stopped" && mv "$dir/ha.env" "$dir/ha.env.stopped"
    echo "== stopped; logs kept in $dir"
else
    rm -rf "$dir"
    echo "== stopped; $dir removed"
fi
