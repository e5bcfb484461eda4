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
each_backend "${ST_BACKENDS:-sqlite postgres}" fuzz fuzz
echo "== schemathesis: no findings"
