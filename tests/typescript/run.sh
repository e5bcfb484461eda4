#!/usr/bin/env bash
# The typed TypeScript client (clients/typescript): installs its pinned npm
# packages (`npm ci`, into clients/typescript/node_modules), fails when the
# committed types differ from what openapi/openapi.json generates, type-checks
# it with `tsc --strict`, then runs README's walk-through through it (Node's
# test runner, TypeScript loaded by tsx) against a freshly started
# `tessera serve`: on a fresh SQLite file, then (when TESSERA_TEST_POSTGRES_URL
# is set) on a fresh PostgreSQL database. Needs Node 20.6 or later and npm;
# anything missing fails the run.
#
#   bash tests/typescript/run.sh
#   TS_BACKENDS=sqlite bash tests/typescript/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
client=$root/clients/typescript

# shellcheck source=../lib/server.sh
. "$root/tests/lib/server.sh"
# server.sh's helpers need only Python's standard library here.
py=python3
# README's walk-through logs in as the default first-run OWNER.
owner_email=admin@example.com

for tool in node npm python3 curl; do
    command -v "$tool" >/dev/null || { echo "$tool is missing: the TypeScript client test needs it" >&2; exit 1; }
done
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 6) ? 0 : 1)' ||
    { echo "Node $(node --version) is too old: the TypeScript client test needs 20.6 or later" >&2; exit 1; }

echo "== TypeScript client: npm ci, generated types, tsc --strict"
(
    cd "$client"
    npm ci --no-audit --no-fund --loglevel=error
    npm run --silent check:generated
    npm run --silent typecheck
)
cargo build --locked --quiet --bin tessera

# walk NAME DATABASE_URL
walk() {
    local name=$1 url=$2 status=0
    local report=$root/target/typescript-report/$name
    rm -rf "$report" && mkdir -p "$report"
    start_server "$name" "$url" "$report/server.log"
    echo "== TypeScript client walk-through on $name ($base)"
    (cd "$client" && BASE=$base PASSWORD=$owner_password npm run --silent test) || status=1
    stop_server "$report/server.log" || status=1
    return $status
}

each_backend "${TS_BACKENDS:-sqlite postgres}" typescript walk
echo "== TypeScript client: every test passed"
