#!/usr/bin/env bash
# Fuzzes the running service from its own OpenAPI document with schemathesis:
# starts a freshly built `tessera serve` on a free loopback port, on a fresh
# SQLite file and then (when TESSERA_TEST_POSTGRES_URL is set) on a fresh
# PostgreSQL database, obtains a token of the throwaway OWNER, and runs every
# check. Any finding fails the script.
#
#   bash tests/schemathesis/run.sh            # both backends (PostgreSQL when set)
#   ST_BACKENDS=sqlite bash tests/schemathesis/run.sh
#   ST_MAX_EXAMPLES=200 bash tests/schemathesis/run.sh   # a longer run
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

venv=${ST_VENV:-$root/target/schemathesis-venv}
req=$root/tests/schemathesis/requirements.txt
if [ ! -x "$venv/bin/schemathesis" ] || ! cmp -s "$req" "$venv/requirements.txt"; then
    echo "== installing schemathesis into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
    cp "$req" "$venv/requirements.txt"
fi

cargo build --locked --quiet --bin tessera
bin=$root/target/debug/tessera

work=$(mktemp -d)
server_pid=
pg_db=
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [ -n "$pg_db" ]; then
        psql_admin "DROP DATABASE IF EXISTS \"$pg_db\" WITH (FORCE)" || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# Runs one SQL statement on the PostgreSQL server's maintenance database.
psql_admin() {
    psql -X -q -v ON_ERROR_STOP=1 "$TESSERA_TEST_POSTGRES_URL" -c "$1" >/dev/null
}

free_port() {
    "$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# fuzz NAME DATABASE_URL
fuzz() {
    local name=$1 url=$2 port base token
    port=$(free_port)
    base=http://127.0.0.1:$port
    local password=fuzz-Owner-pass-1
    local report=$root/target/schemathesis-report/$name
    rm -rf "$report"
    mkdir -p "$report"
    local log=$report/server.log
    # No webhook is sent (fuzzed URLs point anywhere) and no scheduler runs
    # (a fuzzed contract end date must not deactivate the fuzzing OWNER
    # mid-run); both are covered by tests/api/webhooks.rs.
    TESSERA_WEBHOOK_POLL_MS=0 \
    TESSERA_SCHEDULER_INTERVAL=0 \
    TESSERA_DATABASE_URL=$url \
    TESSERA_BIND=127.0.0.1:$port \
    TESSERA_SECRET_KEY=schemathesis-secret-key-0123456789abcdef \
    TESSERA_BOOTSTRAP_ORG="Fuzzing $name" \
    TESSERA_BOOTSTRAP_EMAIL=fuzz-owner@example.com \
    TESSERA_BOOTSTRAP_PASSWORD=$password \
    TESSERA_WORKERS=2 \
    TESSERA_LOG_FORMAT=json \
        "$bin" serve >"$log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 100); do
        curl -fsS "$base/readyz" >/dev/null 2>&1 && break
        kill -0 "$server_pid" 2>/dev/null || { cat "$log" >&2; return 1; }
        sleep 0.2
    done
    token=$(curl -fsS -X POST "$base/auth/obtain/" -H 'Content-Type: application/json' \
        -d "{\"username\": \"fuzz-owner@example.com\", \"password\": \"$password\"}" |
        "$venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["token"])')

    local owner_id
    owner_id=$(curl -fsS "$base/profile/" -H "Authorization: JWT $token" |
        "$venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["id"])')

    echo "== schemathesis on $name ($base)"
    local status=0
    TESSERA_FUZZ_TOKEN=$token TESSERA_FUZZ_OWNER_ID=$owner_id \
        "$venv/bin/schemathesis" \
        --config-file "$root/tests/schemathesis/schemathesis.toml" \
        run "$base/openapi.json" \
        --checks all \
        --max-examples "${ST_MAX_EXAMPLES:-30}" \
        --seed "${ST_SEED:-20261128}" \
        --no-color \
        --report junit,har --report-dir "$report" \
        "${ST_EXTRA_ARGS[@]}" || status=$?

    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "the server died while fuzzed on $name; its log: $log" >&2
        status=1
    fi
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
    # JSON log lines at ERROR level, or a panic message, fail the run (the
    # access lines hold fuzzed paths, so no plain grep).
    if ! "$venv/bin/python" - "$log" <<'PY' >&2; then
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
        echo "the server logged errors while fuzzed on $name" >&2
        status=1
    fi
    return $status
}

ST_EXTRA_ARGS=()
if [ -n "${ST_ARGS:-}" ]; then read -r -a ST_EXTRA_ARGS <<<"$ST_ARGS"; fi
backends=${ST_BACKENDS:-sqlite postgres}
for backend in $backends; do
    case $backend in
    sqlite)
        fuzz sqlite "sqlite://$work/fuzz.db"
        ;;
    postgres)
        if [ -z "${TESSERA_TEST_POSTGRES_URL:-}" ]; then
            echo "== schemathesis on PostgreSQL skipped: TESSERA_TEST_POSTGRES_URL is unset"
            continue
        fi
        pg_db=tessera_fuzz_$$_$RANDOM
        psql_admin "CREATE DATABASE \"$pg_db\""
        fuzz postgres "$("$venv/bin/python" -c 'import sys, urllib.parse; u = urllib.parse.urlparse(sys.argv[1]); print(u._replace(path="/" + sys.argv[2]).geturl())' "$TESSERA_TEST_POSTGRES_URL" "$pg_db")"
        psql_admin "DROP DATABASE IF EXISTS \"$pg_db\" WITH (FORCE)"
        pg_db=
        ;;
    *)
        echo "unknown backend $backend" >&2
        exit 2
        ;;
    esac
done
echo "== schemathesis: no findings"
