#!/usr/bin/env bash
# Tessera benchmark: builds the release binary, seeds 100,000 users on a fresh
# SQLite file (and, when TESSERA_BENCH_POSTGRES_URL is set, on a fresh
# PostgreSQL database it creates and drops), and measures the hot endpoints
# with wrk on 127.0.0.1. Prints one table per backend.
#
#   bench/run.sh
#   TESSERA_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres bench/run.sh
#
# Settings (environment):
#   TESSERA_BENCH_POSTGRES_URL  a PostgreSQL server URL (its database is only used
#                               to CREATE and DROP a scratch database)
#   BENCH_DURATION   seconds per wrk run (default 10)
#   BENCH_USERS      people to seed (default 100000)
#   BENCH_BACKENDS   "sqlite postgres" (default: sqlite, plus postgres when the URL is set)
#   BENCH_ONLY       only these runs, e.g. "healthz get_user" (names as in the table)
#   BENCH_SKIP_BUILD=1  use target/release/tessera as it is
#   BENCH_BIN        measure this binary instead (no build), e.g. to compare two builds
#   BENCH_KEEP=1     keep the scratch directory (server logs, ids) after the run
#   BENCH_WORKERS, BENCH_POOL_SIZE  passed as TESSERA_WORKERS / TESSERA_DB_POOL_SIZE when set
#
# Login is measured with TESSERA_LOGIN_MAX_FAILURES raised to 1000000 so the
# throttle never answers 429 during the run (the benchmark logs in with the
# right password, so it would not trigger anyway); hashing cost and hashing
# concurrency (TESSERA_HASH_CONCURRENCY, default 2) are left as shipped. The
# server runs with glibc's MALLOC_ARENA_MAX=2 and MALLOC_MMAP_THRESHOLD_=1048576,
# as the Docker image ships it (override by setting either).
set -Eeuo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR="$ROOT/bench"
DURATION=${BENCH_DURATION:-10}
USERS=${BENCH_USERS:-100000}
BIN="${BENCH_BIN:-$ROOT/target/release/tessera}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tessera-bench.XXXXXX")
PG_DB=""
PG_ADMIN_URL="${TESSERA_BENCH_POSTGRES_URL:-}"
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"

drop_pg_db() {
    if [[ -n "$PG_DB" ]]; then
        psql "$PG_ADMIN_URL" -qAt -v ON_ERROR_STOP=1 \
            -c "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" >/dev/null 2>&1 ||
            log "could not drop database $PG_DB"
        PG_DB=""
    fi
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    stop_server
    drop_pg_db
    if [[ -n "${BENCH_KEEP:-}" ]]; then
        log "kept $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

need() {
    command -v "$1" >/dev/null 2>&1 && return 0
    log "installing $2 (Debian package)"
    local sudo=""
    [[ $(id -u) -ne 0 ]] && sudo="sudo"
    $sudo apt-get install -y "$2" >/dev/null 2>&1 ||
        { $sudo apt-get update -qq >/dev/null && $sudo apt-get install -y "$2" >/dev/null; }
}

need wrk wrk
need curl curl
need jq jq
[[ -n "$PG_ADMIN_URL" ]] && need psql postgresql-client

if [[ -z "${BENCH_SKIP_BUILD:-}${BENCH_BIN:-}" ]]; then
    log "building the release binary"
    (cd "$ROOT" && cargo build --release --locked --bin tessera)
fi
[[ -x "$BIN" ]] || { log "missing $BIN"; exit 1; }

# The server's anonymous resident memory (kB): the heap and the allocator's
# arenas, without the executable's file-backed pages that VmRSS also counts.
rss_anon_kb() {
    awk '/^RssAnon:/ {print $2}' "/proc/$SERVER_PID/status" 2>/dev/null || echo 0
}

# Peak RSS since the last reset (kB), then reset it for the next phase.
peak_rss_kb() {
    local kb
    kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$SERVER_PID/status")
    echo 5 >"/proc/$SERVER_PID/clear_refs" 2>/dev/null || true
    echo "$kb"
}

# run_wrk NAME SCRIPT CONNECTIONS: appends one row to $ROWS.
run_wrk() {
    local name=$1 script=$2 conns=$3 line
    if [[ -n "${BENCH_ONLY:-}" && " $BENCH_ONLY " != *" $name "* ]]; then return 0; fi
    # Let the previous run drain: wrk stops sending, but requests it left
    # queued (a slow list at -c64) still hold the server's connections to
    # the database. An authenticated list request waits for one, so once it
    # is answered the next run starts on an idle server.
    sleep 1
    curl -fsS -o /dev/null --max-time 120 -H "Authorization: JWT $BENCH_TOKEN" \
        "$BASE/users/?length=1" || log "the server did not drain before $name"
    peak_rss_kb >/dev/null # reset the high-water mark
    # The kernel keeps no high-water mark of RssAnon: sample it while wrk runs.
    local anon_file="$WORK/anon-peak"
    rss_anon_kb >"$anon_file"
    (
        peak=0
        while kill -0 "$SERVER_PID" 2>/dev/null && [[ -e "$anon_file" ]]; do
            now=$(rss_anon_kb)
            if (( now > peak )); then peak=$now; echo "$peak" >"$anon_file.tmp" && mv -f "$anon_file.tmp" "$anon_file"; fi
            sleep 0.2
        done
    ) &
    local sampler=$!
    line=$(BENCH_DIR="$BENCH_DIR" wrk -t2 -c"$conns" -d"${DURATION}s" --timeout 10s \
        -s "$BENCH_DIR/$script" "$BASE" 2>&1 | tee -a "$WORK/wrk.log" | grep '^BENCH ') || {
        kill "$sampler" 2>/dev/null; log "wrk failed for $name"; return 1; }
    local rss; rss=$(peak_rss_kb)
    kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true
    local anon; anon=$(cat "$anon_file"); rm -f "$anon_file"
    echo "$BACKEND $name $conns $line rss=$rss anon=$anon" >>"$ROWS"
    log "$name -c$conns: ${line#BENCH } rss=${rss}kB anon=${anon}kB"
}

bench_backend() {
    BACKEND=$1
    local url=$2
    log "[$BACKEND] bootstrap and seed $USERS users"
    TESSERA_DATABASE_URL="$url" "$BIN" bootstrap --org Bench --email "$EMAIL" \
        --password "$PASSWORD" >/dev/null
    TESSERA_DATABASE_URL="$url" "$BIN" seed --users "$USERS" --labels 50 --teams 20 \
        --targets 50 | sed 's/^/[bench]   /' >&2
    start_server "$url" env ${BENCH_WORKERS:+TESSERA_WORKERS=$BENCH_WORKERS} \
        ${BENCH_POOL_SIZE:+TESSERA_DB_POOL_SIZE=$BENCH_POOL_SIZE}

    local token
    token=$(curl -fsS -X POST "$BASE/auth/obtain/" -H 'Content-Type: application/json' \
        -d "{\"username\": \"$EMAIL\", \"password\": \"$PASSWORD\"}" | jq -r .token)
    export BENCH_TOKEN=$token BENCH_EMAIL=$EMAIL BENCH_PASSWORD=$PASSWORD
    export BENCH_IDS="$WORK/ids-$BACKEND" BENCH_QUERIES="$WORK/queries-$BACKEND"

    # 2,000 ids spread over the whole organization.
    : >"$BENCH_IDS"
    local pages=$((USERS / 100)) step page
    step=$((pages / 20)); ((step >= 1)) || step=1
    for ((page = 1; page <= pages && page <= 20 * step; page += step)); do
        curl -fsS -H "Authorization: JWT $token" \
            "$BASE/users/?length=100&ordering=email&page=$page" | jq -r '.results[].id' >>"$BENCH_IDS"
    done
    local label
    label=$(curl -fsS -H "Authorization: JWT $token" "$BASE/labels/users/?length=1&ordering=name" |
        jq -r '.results[0].id')
    log "[$BACKEND] $(wc -l <"$BENCH_IDS") ids, label $label"

    local search="length=100&search=silva&ordering=-created"
    local by_label="length=100&label=$label&ordering=name"
    local ordered="length=100&ordering=email&page=$((pages / 2))"
    local combined="length=100&search=ana&label=$label&ordering=-changed"
    printf '%s\n' "$search" "$by_label" "$ordered" "$combined" >"$BENCH_QUERIES"

    run_wrk healthz healthz.lua 64
    run_wrk get_user get_user.lua 64
    run_wrk list_mixed list_users.lua 8
    local q
    # The first page a client opens: unfiltered, ten people, exact count.
    local first="length=10"
    for q in first:"$first" search:"$search" label:"$by_label" ordering:"$ordered" \
        combined:"$combined"; do
        echo "${q#*:}" >"$WORK/one-query"
        BENCH_QUERIES="$WORK/one-query" run_wrk "list_${q%%:*}" list_users.lua 8
    done
    run_wrk list_mixed list_users.lua 64
    # PATCH at -c8, as issue #25's target reads it (one SQLite writer at a
    # time: at -c64 the p99 is the queue), then at -c64.
    run_wrk patch_user patch_user.lua 8
    run_wrk patch_user patch_user.lua 64
    run_wrk obtain_token obtain.lua 8
    # A 10-check permission batch (the OWNER holds authz.check).
    BENCH_TEAM=$(curl -fsS -H "Authorization: JWT $token" "$BASE/teams/?length=1" | jq -r '.results[0].id')
    BENCH_TARGET=$(curl -fsS -H "Authorization: JWT $token" "$BASE/targets/?length=1" | jq -r '.results[0].id')
    export BENCH_TEAM BENCH_TARGET
    run_wrk authz_check authz_check.lua 8
    bench_scim "$token"
    stop_server
}

# SCIM lists as an identity provider reads them, with an ADMIN API user's
# key: a deep page of every user, the `userName eq` lookup made before each
# write, a filter SQL cannot express (decided in memory over every user,
# keeping only the page), and the groups without and with their members.
bench_scim() {
    local token=$1 api_user email
    api_user=$(curl -fsS -X POST "$BASE/api-users/" -H "Authorization: JWT $token" \
        -H 'Content-Type: application/json' \
        -d '{"name": "bench idp", "email": "bench-idp@example.com", "user_roles": [{"role": "ADMIN"}]}' |
        jq -r .id)
    BENCH_SCIM_KEY=$(curl -fsS -X POST "$BASE/api-users/$api_user/keys/" -H "Authorization: JWT $token" \
        -H 'Content-Type: application/json' -d '{"name": "scim"}' | jq -r .key)
    export BENCH_SCIM_KEY
    email=$(curl -fsS -H "Authorization: JWT $token" "$BASE/users/$(sed -n 1000p "$BENCH_IDS")/" | jq -r .email)
    local q
    for q in \
        scim_users_deep:"/Users?startIndex=$((USERS / 2))&count=100" \
        scim_users_username:"/Users?filter=userName%20eq%20%22$email%22" \
        scim_groups:"/Groups?excludedAttributes=members" \
        scim_groups_members:"/Groups?count=5"; do
        echo "${q#*:}" >"$WORK/one-query"
        BENCH_QUERIES="$WORK/one-query" run_wrk "${q%%:*}" scim.lua 8
    done
    # Last, and with two connections: each request reads every user, so
    # requests wrk gives up on would still be running in the next run.
    echo "/Users?filter=name.familyName%20sw%20%22zz%22&count=100" >"$WORK/one-query"
    BENCH_QUERIES="$WORK/one-query" run_wrk scim_users_in_memory scim.lua 2
}

ROWS="$WORK/rows"
: >"$ROWS"
BACKENDS=${BENCH_BACKENDS:-sqlite${PG_ADMIN_URL:+ postgres}}
for backend in $BACKENDS; do
    case $backend in
    sqlite)
        bench_backend sqlite "sqlite://$WORK/bench.db"
        ;;
    postgres)
        [[ -n "$PG_ADMIN_URL" ]] || { log "TESSERA_BENCH_POSTGRES_URL is not set"; exit 1; }
        PG_DB="tessera_bench_$$"
        psql "$PG_ADMIN_URL" -qAt -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$PG_DB\"" >/dev/null
        bench_backend postgres "$(printf '%s' "$PG_ADMIN_URL" | sed -E "s#/[^/?]*(\?|$)#/$PG_DB\1#")"
        drop_pg_db
        ;;
    *) log "unknown backend $backend"; exit 1 ;;
    esac
done

# One table: ratio = req/s over /healthz req/s of the same backend and run.
{
    printf '\nwrk -t2, %ss per run, %s users; %s cores: %s\n' "$DURATION" "$USERS" "$(nproc)" \
        "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
    printf '| backend | endpoint | conns | req/s | p50 ms | p99 ms | vs /healthz | peak RSS MiB | peak anon MiB | non-2xx | socket errors |\n'
    printf '|---|---|---|---|---|---|---|---|---|---|---|\n'
    awk '
    {
        for (i = 4; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        if ($2 == "healthz") ceiling[$1] = v["rps"]
        ratio = ceiling[$1] > 0 ? sprintf("%.1f%%", 100 * v["rps"] / ceiling[$1]) : "-"
        printf "| %s | %s | %s | %.0f | %.2f | %.2f | %s | %.1f | %.1f | %d | %d |\n", $1, $2, $3,
            v["rps"], v["p50"] / 1000, v["p99"] / 1000, ratio, v["rss"] / 1024, v["anon"] / 1024,
            v["non2xx"], v["sockerr"]
    }' "$ROWS"
}
