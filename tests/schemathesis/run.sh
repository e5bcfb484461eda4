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

# shellcheck source=../lib/server.sh
. "$root/tests/lib/server.sh"
use_venv "${ST_VENV:-$root/target/schemathesis-venv}" "$root/tests/schemathesis/requirements.txt"
cargo build --locked --quiet --bin tessera

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

# fuzz NAME DATABASE_URL
fuzz() {
    local name=$1 url=$2
    local report=$root/target/schemathesis-report/$name
    rm -rf "$report"
    mkdir -p "$report"
    start_server "$name" "$url" "$report/server.log"
    local owner_id
    owner_id=$(curl -fsS "$base/profile/" -H "Authorization: JWT $token" | json_field id)

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
    stop_server "$report/server.log" || status=1
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
        fuzz postgres "$(scratch_pg_url "$pg_db")"
        drop_pg "$pg_db"
        pg_db=
        ;;
    *)
        echo "unknown backend $backend" >&2
        exit 2
        ;;
    esac
done
echo "== schemathesis: no findings"
