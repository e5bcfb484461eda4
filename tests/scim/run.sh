#!/usr/bin/env bash
# SCIM conformance: runs the independent scim2-tester suite (PyPI, pinned in
# tests/scim/requirements.txt) against a freshly started `tessera serve`, on
# a fresh SQLite file and then (when TESSERA_TEST_POSTGRES_URL is set) on a
# fresh PostgreSQL database. The IdP is an API user holding ADMIN (which
# grants scim.provision) with one API key. Any check not successful fails.
#
#   bash tests/scim/run.sh
#   SCIM_BACKENDS=sqlite bash tests/scim/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
# shellcheck source=../lib/server.sh
. "$root/tests/lib/server.sh"

use_venv "${SCIM_VENV:-$root/target/scim-venv}" "$root/tests/scim/requirements.txt"
cargo build --locked --quiet --bin tessera

# conform NAME DATABASE_URL
conform() {
    local name=$1 url=$2 status=0
    local report=$root/target/scim-report/$name
    rm -rf "$report" && mkdir -p "$report"
    start_server "$name" "$url" "$report/server.log"
    local api_user key
    api_user=$(curl -fsS -X POST "$base/api-users/" -H "Authorization: JWT $token" \
        -H 'Content-Type: application/json' \
        -d '{"name": "Identity provider", "email": "idp@example.com", "user_roles": [{"role": "ADMIN"}]}' |
        json_field id)
    key=$(curl -fsS -X POST "$base/api-users/$api_user/keys/" -H "Authorization: JWT $token" \
        -H 'Content-Type: application/json' -d '{"name": "scim"}' | json_field key)
    echo "== SCIM conformance on $name ($base/scim/v2)"
    "$py" "$root/tests/scim/conformance.py" "$base/scim/v2" "$key" | tee "$report/results.txt" ||
        status=1
    stop_server "$report/server.log" || status=1
    return $status
}

each_backend "${SCIM_BACKENDS:-sqlite postgres}" scim conform
echo "== SCIM conformance: every check passed"
