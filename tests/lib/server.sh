# Shared by the scripts that test a live server (schemathesis, SCIM
# conformance): a Python virtualenv from a pinned requirements file, a
# `tessera serve` on a free loopback port, its throwaway OWNER's token, and
# scratch PostgreSQL databases. Source it; `root` must be the repository.

# use_venv DIR REQUIREMENTS: creates or refreshes the virtualenv when the
# pinned requirements changed; sets `venv` and `py`.
use_venv() {
    venv=$1
    local req=$2
    if [ ! -x "$venv/bin/python" ] || ! cmp -s "$req" "$venv/requirements.txt"; then
        echo "== installing $(basename "$(dirname "$req")") tools into $venv"
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
        cp "$req" "$venv/requirements.txt"
    fi
    py=$venv/bin/python
}

# Runs one SQL statement on the PostgreSQL server's maintenance database.
psql_admin() {
    psql -X -q -v ON_ERROR_STOP=1 "$TESSERA_TEST_POSTGRES_URL" -c "$1" >/dev/null
}

# scratch_pg_url NAME: creates database NAME and prints its URL.
scratch_pg_url() {
    psql_admin "CREATE DATABASE \"$1\""
    "$py" -c 'import sys, urllib.parse; u = urllib.parse.urlparse(sys.argv[1]); print(u._replace(path="/" + sys.argv[2]).geturl())' \
        "$TESSERA_TEST_POSTGRES_URL" "$1"
}

drop_pg() {
    psql_admin "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)"
}

free_port() {
    "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# json_field KEY: prints a top-level field of the JSON on stdin.
json_field() {
    "$py" -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

# start_server NAME DATABASE_URL LOG: starts the debug binary on a fresh port
# with a bootstrap OWNER, waits until ready, and sets `server_pid`, `base`
# and `token` (the OWNER's JWT). No webhook is sent and no scheduler runs:
# generated data points anywhere and must not deactivate the OWNER mid-run.
owner_email=test-owner@example.com
owner_password=test-Owner-pass-1
start_server() {
    local name=$1 url=$2 log=$3 port
    port=$(free_port)
    base=http://127.0.0.1:$port
    TESSERA_WEBHOOK_POLL_MS=0 \
    TESSERA_SCHEDULER_INTERVAL=0 \
    TESSERA_DATABASE_URL=$url \
    TESSERA_BIND=127.0.0.1:$port \
    TESSERA_SECRET_KEY=live-test-secret-key-0123456789abcdef \
    TESSERA_ENCRYPTION_KEY=0000000000000000000000000000000000000000000000000000000000000001 \
    TESSERA_BOOTSTRAP_ORG="Live test $name" \
    TESSERA_BOOTSTRAP_EMAIL=$owner_email \
    TESSERA_BOOTSTRAP_PASSWORD=$owner_password \
    TESSERA_WORKERS=2 \
    TESSERA_LOG_FORMAT=json \
        "$root/target/debug/tessera" serve >"$log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 100); do
        curl -fsS "$base/readyz" >/dev/null 2>&1 && break
        kill -0 "$server_pid" 2>/dev/null || { cat "$log" >&2; return 1; }
        sleep 0.2
    done
    token=$(curl -fsS -X POST "$base/auth/obtain/" -H 'Content-Type: application/json' \
        -d "{\"username\": \"$owner_email\", \"password\": \"$owner_password\"}" | json_field token)
}

# stop_server LOG: stops the server; fails when it had died or logged an
# ERROR line or a panic (access lines hold arbitrary paths, so no grep).
stop_server() {
    local log=$1 status=0
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "the server died; its log: $log" >&2
        status=1
    fi
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
    if ! "$py" - "$log" <<'PY' >&2; then
import json, sys
bad = 0
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    try:
        entry = json.loads(line)
    except ValueError:
        if line.startswith("thread '") and " panicked at " in line:
            print(line, end="")
            bad += 1
        continue
    if isinstance(entry, dict) and entry.get("level") == "ERROR":
        print(line, end="")
        bad += 1
sys.exit(1 if bad else 0)
PY
        echo "the server logged errors; its log: $log" >&2
        status=1
    fi
    return $status
}

# A scratch folder, and a cleanup on exit of what is still running or there.
work=$(mktemp -d)
server_pid=
pg_db=
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [ -n "$pg_db" ]; then drop_pg "$pg_db" || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# each_backend BACKENDS LABEL FN: runs `FN NAME DATABASE_URL` on a fresh
# SQLite file (`sqlite`) and a scratch PostgreSQL database (`postgres`, when
# TESSERA_TEST_POSTGRES_URL is set).
each_backend() {
    local backends=$1 label=$2 fn=$3 backend
    for backend in $backends; do
        case $backend in
        sqlite)
            "$fn" sqlite "sqlite://$work/$label.db"
            ;;
        postgres)
            if [ -z "${TESSERA_TEST_POSTGRES_URL:-}" ]; then
                echo "== $label on PostgreSQL skipped: TESSERA_TEST_POSTGRES_URL is unset"
                continue
            fi
            pg_db=tessera_${label}_$$_$RANDOM
            "$fn" postgres "$(scratch_pg_url "$pg_db")"
            drop_pg "$pg_db"
            pg_db=
            ;;
        *)
            echo "unknown backend $backend" >&2
            return 2
            ;;
        esac
    done
}
