# Shared by bench/run.sh and bench/callgrind.sh, which source it: the
# benchmark owner's credentials, the server's keys, logging, and stopping
# the server they started (SERVER_PID).

SECRET="bench-secret-key-bench-secret-key-0123456789"
ENCRYPTION_KEY="0000000000000000000000000000000000000000000000000000000000000001"
EMAIL="bench-owner@example.com"
PASSWORD="Bench-Owner-Pass-2026"
SERVER_PID=""

# log MESSAGE...: to standard error, prefixed with the script's LOG_NAME.
log() { printf '[%s] %s\n' "${LOG_NAME:-bench}" "$*" >&2; }

# Stops the server gracefully, waiting up to 30 s (a server under valgrind
# is slow to drain), then kills it.
stop_server() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 300); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}

# start_server URL [WRAPPER...]: the release server over the database at
# URL, on a free port of 127.0.0.1, started through WRAPPER when given (an
# `env` with more settings, valgrind); sets SERVER_PID and BASE. Its output
# goes to $WORK/server.out and server.err. Login failures are not
# throttled (see run.sh's header); glibc's allocator is set as the Docker
# image sets it.
start_server() {
    local url=$1 out="$WORK/server.out"
    shift
    : >"$out"
    env TESSERA_DATABASE_URL="$url" TESSERA_BIND=127.0.0.1:0 TESSERA_SECRET_KEY="$SECRET" \
        TESSERA_ENCRYPTION_KEY="$ENCRYPTION_KEY" TESSERA_LOGIN_MAX_FAILURES=1000000 \
        MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}" \
        MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-1048576}" \
        "$@" "$BIN" serve >"$out" 2>"$WORK/server.err" &
    SERVER_PID=$!
    # Tenths of a second to wait for it (START_TRIES; valgrind needs more).
    for _ in $(seq "${START_TRIES:-300}"); do
        if grep -q '^Tessera is listening on ' "$out"; then
            BASE=$(sed -n 's/^Tessera is listening on //p' "$out" | head -1)
            curl -fsS "$BASE/healthz" >/dev/null && return 0
        fi
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.err" >&2; return 1; }
        sleep 0.1
    done
    log "server did not start"
    return 1
}
