#!/usr/bin/env bash
# Starts a highly available Tessera on this machine, on 127.0.0.1 only:
#
#   clients -> HAProxy :HA_HTTP_PORT (health checks on /readyz)
#                -> tessera replica 1, 2, 3 (:HA_REPLICA_PORTS)
#                     -> PostgreSQL primary :HA_PG_PRIMARY_PORT
#                        synchronous streaming replication to
#                        PostgreSQL hot standby :HA_PG_STANDBY_PORT
#
# The replicas reach the database through libpq's multi-host URL
# (`target_session_attrs=read-write`), so after the standby is promoted they
# find it on their own. Everything lives in HA_DIR (PostgreSQL data, logs,
# pid files) and `deploy/ha/down.sh` stops it and removes the directory.
# The machine's own PostgreSQL (5432) is left alone.
#
#   TESSERA_BIN=target/release/tessera deploy/ha/up.sh
#   HA_DIR=/tmp/tessera-ha deploy/ha/down.sh
#
# Settings (environment), with their defaults:
#   TESSERA_BIN          target/release/tessera, else target/debug/tessera
#   HA_DIR               /tmp/tessera-ha
#   HA_HTTP_PORT         8080           HAProxy's frontend
#   HA_REPLICA_PORTS     "8081 8082 8083"
#   HA_PG_PRIMARY_PORT   55432
#   HA_PG_STANDBY_PORT   55433
#   HA_PG_BIN            /usr/lib/postgresql/15/bin
#   HA_ENCRYPTION_KEY    generated (openssl rand -hex 32), kept in HA_DIR/ha.env
#   HA_OWNER_EMAIL       admin@example.com
#   HA_OWNER_PASSWORD    generated, kept in HA_DIR/ha.env
# Other TESSERA_* variables in the environment reach every replica as they
# are (e.g. TESSERA_SCHEDULER_INTERVAL, TESSERA_WEBHOOKS_ALLOW_PRIVATE).
#
# HA_DIR/ha.env holds what a client or a test needs afterwards (the URLs,
# the ports, the pids, the owner's credentials); source it.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)

bin=${TESSERA_BIN:-}
if [ -z "$bin" ]; then
    for candidate in "$root/target/release/tessera" "$root/target/debug/tessera"; do
        if [ -x "$candidate" ]; then
            bin=$candidate
            break
        fi
    done
fi
[ -n "$bin" ] && [ -x "$bin" ] || {
    echo "no tessera binary: build one (cargo build --release) or set TESSERA_BIN" >&2
    exit 1
}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

dir=${HA_DIR:-/tmp/tessera-ha}
http_port=${HA_HTTP_PORT:-8080}
read -r -a replica_ports <<<"${HA_REPLICA_PORTS:-8081 8082 8083}"
pg_primary_port=${HA_PG_PRIMARY_PORT:-55432}
pg_standby_port=${HA_PG_STANDBY_PORT:-55433}
pg_bin=${HA_PG_BIN:-/usr/lib/postgresql/15/bin}
owner_email=${HA_OWNER_EMAIL:-admin@example.com}

for tool in "$pg_bin/initdb" "$pg_bin/pg_ctl" "$pg_bin/pg_basebackup" "$pg_bin/psql"; do
    [ -x "$tool" ] || { echo "missing $tool (Debian: apt-get install postgresql-15)" >&2; exit 1; }
done
command -v haproxy >/dev/null || { echo "missing haproxy (Debian: apt-get install haproxy)" >&2; exit 1; }
command -v curl >/dev/null || { echo "missing curl" >&2; exit 1; }
if [ -e "$dir/ha.env" ] || [ -e "$dir/pg" ]; then
    echo "$dir already holds a topology: stop it first (HA_DIR=$dir deploy/ha/down.sh)" >&2
    exit 1
fi

# PostgreSQL refuses to run as root: as root, its clusters run as the
# `postgres` user, in a directory it owns.
if [ "$(id -u)" = 0 ]; then
    pg_user=postgres
    as_pg() { runuser -u postgres -- "$@"; }
else
    pg_user=$(id -un)
    as_pg() { "$@"; }
fi

random_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }
key=${HA_ENCRYPTION_KEY:-$(random_hex 32)}
owner_password=${HA_OWNER_PASSWORD:-ha-$(random_hex 12)}

# A failure half-way stops whatever had started.
started=false
trap '$started || HA_DIR=$dir HA_KEEP=${HA_KEEP:-1} "$root/deploy/ha/down.sh" >&2' EXIT
mkdir -p "$dir/pg"
chmod 755 "$dir"
chown "$pg_user" "$dir/pg"
chmod 700 "$dir/pg"
as_pg test -w "$dir/pg" || {
    echo "$pg_user cannot reach $dir/pg: let it through every parent directory (chmod o+x)" >&2
    exit 1
}
primary=$dir/pg/primary
standby=$dir/pg/standby

db_url="postgres://postgres@127.0.0.1:$pg_primary_port,127.0.0.1:$pg_standby_port/tessera?target_session_attrs=read-write&sslmode=disable&connect_timeout=2"
# What a test or an operator needs afterwards; pids are added as they start.
cat >"$dir/ha.env" <<EOF
HA_DIR=$dir
HA_URL=http://127.0.0.1:$http_port
HA_HTTP_PORT=$http_port
HA_REPLICA_PORTS="${replica_ports[*]}"
HA_PG_PRIMARY_PORT=$pg_primary_port
HA_PG_STANDBY_PORT=$pg_standby_port
HA_PG_BIN=$pg_bin
HA_PG_USER=$pg_user
HA_PG_PRIMARY_DATA=$primary
HA_PG_STANDBY_DATA=$standby
HA_DATABASE_URL='$db_url'
HA_ENCRYPTION_KEY=$key
HA_OWNER_EMAIL=$owner_email
HA_OWNER_PASSWORD=$owner_password
TESSERA_BIN=$bin
EOF
chmod 600 "$dir/ha.env"
note() { echo "$1=$2" >>"$dir/ha.env"; }

# --- PostgreSQL primary -----------------------------------------------------
echo "== PostgreSQL primary on 127.0.0.1:$pg_primary_port"
as_pg "$pg_bin/initdb" -D "$primary" -U postgres -A trust --no-sync >"$dir/pg/initdb.log" 2>&1 ||
    { cat "$dir/pg/initdb.log" >&2; exit 1; }
cat >>"$primary/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $pg_primary_port
unix_socket_directories = '$dir/pg'
wal_level = replica
max_wal_senders = 5
wal_keep_size = '256MB'
hot_standby = on
synchronous_commit = on
max_connections = 100
EOF
as_pg "$pg_bin/pg_ctl" -D "$primary" -l "$dir/pg/primary.log" -w -t 30 start >/dev/null
note HA_PG_PRIMARY_PID "$(head -1 "$primary/postmaster.pid")"
as_pg "$pg_bin/psql" -X -q -h 127.0.0.1 -p "$pg_primary_port" -U postgres -d postgres \
    -v ON_ERROR_STOP=1 -c 'CREATE DATABASE tessera'

# --- PostgreSQL hot standby -------------------------------------------------
echo "== PostgreSQL hot standby on 127.0.0.1:$pg_standby_port (pg_basebackup)"
as_pg "$pg_bin/pg_basebackup" -h 127.0.0.1 -p "$pg_primary_port" -U postgres \
    -D "$standby" -X stream -c fast --no-sync -R
# The standby's own port; once promoted it must not wait for a standby of
# its own that does not exist yet (commits would hang): it starts with no
# synchronous standby, and a new one is attached later (docs/OPERATIONS.md).
cat >>"$standby/postgresql.auto.conf" <<EOF
port = $pg_standby_port
primary_conninfo = 'host=127.0.0.1 port=$pg_primary_port user=postgres application_name=standby1'
synchronous_standby_names = ''
EOF
as_pg "$pg_bin/pg_ctl" -D "$standby" -l "$dir/pg/standby.log" -w -t 30 start >/dev/null
note HA_PG_STANDBY_PID "$(head -1 "$standby/postmaster.pid")"
# Synchronous replication, now that the standby is there (before, every
# commit would wait for it): a commit is acknowledged only once the standby
# has flushed it too, so a failover loses no acknowledged write.
as_pg "$pg_bin/psql" -X -q -h 127.0.0.1 -p "$pg_primary_port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -c "ALTER SYSTEM SET synchronous_standby_names = 'FIRST 1 (standby1)'" -c 'SELECT pg_reload_conf()' >/dev/null
sync_state=
for _ in $(seq 1 100); do
    sync_state=$(as_pg "$pg_bin/psql" -X -qAt -h 127.0.0.1 -p "$pg_primary_port" -U postgres -d postgres \
        -c "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby1'")
    [ "$sync_state" = sync ] && break
    sleep 0.1
done
[ "$sync_state" = sync ] || { echo "the standby did not become synchronous" >&2; exit 1; }

# --- Tessera replicas ---------------------------------------------------------
export TESSERA_DATABASE_URL=$db_url
export TESSERA_ENCRYPTION_KEY=$key
# Every replica has the same public address (the tokens' issuer): HAProxy's.
export TESSERA_PUBLIC_URL=http://127.0.0.1:$http_port
export TESSERA_TRUSTED_PROXIES=${TESSERA_TRUSTED_PROXIES:-127.0.0.1}
export TESSERA_BOOTSTRAP_EMAIL=$owner_email
export TESSERA_BOOTSTRAP_PASSWORD=$owner_password
export TESSERA_LOG_FORMAT=${TESSERA_LOG_FORMAT:-json}
"$bin" migrate >"$dir/migrate.log" 2>&1 || { cat "$dir/migrate.log" >&2; exit 1; }
n=0
for port in "${replica_ports[@]}"; do
    n=$((n + 1))
    echo "== tessera replica $n on 127.0.0.1:$port"
    # Its own session, so it outlives this script's terminal.
    TESSERA_BIND=127.0.0.1:$port setsid "$bin" serve >"$dir/replica-$n.log" 2>&1 </dev/null &
    note "HA_REPLICA_${n}_PID" $!
done
for port in "${replica_ports[@]}"; do
    for _ in $(seq 1 150); do
        curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null && continue 2
        sleep 0.2
    done
    echo "the replica on $port is not ready; its log is in $dir" >&2
    exit 1
done

# --- HAProxy --------------------------------------------------------------------
echo "== HAProxy on 127.0.0.1:$http_port"
{
    cat <<EOF
global
    maxconn 2000
    # One line per request (with its termination state) in haproxy.log.
    log stdout format raw local0

defaults
    mode http
    log global
    option httplog
    option forwardfor
    option redispatch
    # Only a request that never reached a replica is sent to another one:
    # a POST that did reach one may have been applied, and is the client's
    # to retry with its Idempotency-Key.
    retries 2
    retry-on conn-failure
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    timeout http-request 10s

frontend tessera
    bind 127.0.0.1:$http_port
    default_backend replicas

backend replicas
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    default-server inter 500ms fastinter 250ms downinter 1s fall 2 rise 2
EOF
    n=0
    for port in "${replica_ports[@]}"; do
        n=$((n + 1))
        echo "    server replica$n 127.0.0.1:$port check"
    done
} >"$dir/haproxy.cfg"
haproxy -c -q -f "$dir/haproxy.cfg"
setsid haproxy -f "$dir/haproxy.cfg" -db >"$dir/haproxy.log" 2>&1 </dev/null &
note HA_HAPROXY_PID $!
for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$http_port/readyz" 2>/dev/null && break
    sleep 0.1
done
curl -fsS -o /dev/null "http://127.0.0.1:$http_port/readyz" ||
    { echo "HAProxy does not answer; its log: $dir/haproxy.log" >&2; exit 1; }

started=true
echo "== up: http://127.0.0.1:$http_port (owner $owner_email; password and settings in $dir/ha.env)"
