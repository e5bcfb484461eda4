#!/usr/bin/env bash
# Instructions per request, counted by valgrind's callgrind: repeatable for the
# same binary and database whatever else the machine is doing, so a change of
# code shows through the noise that wrk's figures carry on a shared machine.
#
#   bench/callgrind.sh                        # 100,000 users, SQLite
#   BENCH_BIN=/path/to/other/tessera bench/callgrind.sh   # compare a build
#
# Settings (environment):
#   BENCH_USERS       people to seed (default 100000)
#   BENCH_BIN         the binary to measure (default target/release/tessera, built)
#   CALLGRIND_READS   requests per single-user case (default 400)
#   CALLGRIND_LISTS   requests per list case (default 20)
#   CALLGRIND_ONLY    only these cases, e.g. "get_user patch_user" (names as in the table)
#   BENCH_KEEP=1      keep the scratch directory, with one callgrind dump per
#                     case (read them with callgrind_annotate)
#
# SQLite only: its engine runs inside the server, so the count is the whole
# cost of a request. (On PostgreSQL the server's share would leave out the
# database's own work.) The server runs with one worker; every thread is
# counted, the blocking pool's too. Each case is warmed up first, then the
# counters are zeroed, the requests are sent one after another on one
# keep-alive connection, and the total is divided by the number of requests.
set -Eeuo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
USERS=${BENCH_USERS:-100000}
READS=${CALLGRIND_READS:-400}
LISTS=${CALLGRIND_LISTS:-20}
BIN="${BENCH_BIN:-$ROOT/target/release/tessera}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tessera-callgrind.XXXXXX")
DB_URL="sqlite://$WORK/bench.db"
LOG_NAME=callgrind
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    stop_server
    if [[ -n "${BENCH_KEEP:-}" ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for tool in valgrind callgrind_control curl jq; do
    command -v "$tool" >/dev/null || { log "missing $tool (apt-get install valgrind curl jq)"; exit 1; }
done
if [[ -z "${BENCH_BIN:-}" ]]; then
    log "building the release binary"
    (cd "$ROOT" && cargo build --release --locked --bin tessera)
fi
[[ -x "$BIN" ]] || { log "missing $BIN"; exit 1; }

log "bootstrap and seed $USERS users (SQLite)"
TESSERA_DATABASE_URL="$DB_URL" "$BIN" bootstrap --org Bench --email "$EMAIL" \
    --password "$PASSWORD" >/dev/null
TESSERA_DATABASE_URL="$DB_URL" "$BIN" seed --users "$USERS" --labels 50 --teams 20 \
    --targets 50 >/dev/null

# Under valgrind from the start, but counting nothing until the requests
# (a token is bound to the server's address, so one server serves both).
# Background work is off, so that only requests are counted: the lifecycle
# scheduler (its first round would sweep every user) and the webhook sender.
log "starting the server under valgrind"
START_TRIES=1200 start_server "$DB_URL" env TESSERA_WORKERS=1 TESSERA_SCHEDULER_INTERVAL=0 \
    TESSERA_WEBHOOK_POLL_MS=0 valgrind --tool=callgrind --instr-atstart=no \
    --callgrind-out-file="$WORK/callgrind.out" --dump-instr=no
TOKEN=$(curl -fsS -X POST "$BASE/auth/obtain/" -H 'Content-Type: application/json' \
    -d "{\"username\": \"$EMAIL\", \"password\": \"$PASSWORD\"}" | jq -r .token)
AUTH="Authorization: JWT $TOKEN"
PAGES=$((USERS / 100))
: >"$WORK/ids"
for page in 1 $((PAGES / 3)) $((2 * PAGES / 3)) "$PAGES"; do
    curl -fsS -H "$AUTH" "$BASE/users/?length=100&ordering=email&page=$page" |
        jq -r '.results[].id' >>"$WORK/ids"
done
LABEL=$(curl -fsS -H "$AUTH" "$BASE/labels/users/?length=1&ordering=name" | jq -r '.results[0].id')
callgrind_control -i on "$SERVER_PID" >/dev/null 2>&1

# urls_file CASE COUNT: COUNT request paths for CASE, one a line.
urls_file() {
    local case=$1 count=$2 file="$WORK/urls-$1"
    : >"$file"
    case $case in
    healthz) yes "/healthz" | head -n "$count" >"$file" ;;
    get_user | patch_user) while (($(wc -l <"$file") < count)); do sed 's#.*#/users/&/#' "$WORK/ids" >>"$file"; done
        sed -i "$((count + 1)),\$d" "$file" ;;
    list_first) yes "/users/?length=10" | head -n "$count" >"$file" ;;
    list_search) yes "/users/?length=100&search=silva&ordering=-created" | head -n "$count" >"$file" ;;
    list_label) yes "/users/?length=100&label=$LABEL&ordering=name" | head -n "$count" >"$file" ;;
    list_ordering) yes "/users/?length=100&ordering=email&page=$((PAGES / 2))" | head -n "$count" >"$file" ;;
    list_combined) yes "/users/?length=100&search=ana&label=$LABEL&ordering=-changed" |
        head -n "$count" >"$file" ;;
    esac
    echo "$file"
}

# send CASE FILE: every path in FILE, in order, over one keep-alive
# connection; PATCH /users/{id}/ gives each user a new name.
send() {
    local args=()
    while read -r path; do args+=("$BASE$path"); done <"$2"
    if [[ $1 == patch_user ]]; then
        args=(-X PATCH -H 'Content-Type: application/json'
            -d "{\"name\": \"Callgrind Person $RANDOM\"}" "${args[@]}")
    fi
    curl -fsS -H "$AUTH" "${args[@]}" >/dev/null
}

printf '\n| request | requests counted | instructions / request |\n|---|---|---|\n' >"$WORK/table"
dump=0
for case in ${CALLGRIND_ONLY:-healthz get_user patch_user list_first list_search list_label list_ordering list_combined}; do
    count=$READS
    [[ $case == list_* ]] && count=$LISTS
    send "$case" "$(urls_file "$case" 10)"
    callgrind_control -z "$SERVER_PID" >/dev/null 2>&1
    send "$case" "$(urls_file "$case" "$count")"
    callgrind_control -d "$case" "$SERVER_PID" >/dev/null 2>&1
    dump=$((dump + 1))
    file="$WORK/callgrind.out.$dump"
    for _ in $(seq 100); do [[ -s $file ]] && break; sleep 0.1; done
    total=$(awk '/^(summary|totals):/ {print $2; exit}' "$file")
    per=$((total / count))
    log "$case: $count requests, $per instructions each"
    printf '| %s | %d | %s k |\n' "$case" "$count" "$(awk -v n="$per" 'BEGIN {printf "%.0f", n / 1000}')" \
        >>"$WORK/table"
done
cat "$WORK/table"
