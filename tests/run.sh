#!/usr/bin/env bash
# Runs the whole test suite: unit tests and black-box HTTP tests on SQLite,
# then the HTTP tests on PostgreSQL when TESSERA_TEST_POSTGRES_URL is set, then
# the SCIM conformance suite and schemathesis against a running server on both.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the build and the tests need: the PostgreSQL client library
# (libpq-dev), libxmlsec1 for SAML (through bindgen: clang, pkg-config), the
# xmlsec1 binary the test SAML IdP signs with, pg_dump/pg_restore for the
# backup test, and HAProxy for tests/ha. Installed when missing.
build_packages="libpq-dev libxmlsec1-dev libxml2-dev libssl-dev clang pkg-config xmlsec1 postgresql-client-15 haproxy"
if ! dpkg -s $build_packages >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $build_packages >/dev/null
    else
        echo "missing Debian packages: apt-get install $build_packages" >&2
        exit 1
    fi
fi

# The MCP tests drive the server with the official Python MCP SDK, pinned in
# tests/mcp/requirements.txt, from a virtualenv kept in target/.
venv=target/mcp-venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check -r tests/mcp/requirements.txt

# The downstream verifier of tests/api/trust.rs (the README's, PyJWT and its
# JWKS client), pinned in tests/trust/requirements.txt, in its own virtualenv.
trust_venv=target/trust-venv
if [ ! -x "$trust_venv/bin/python" ]; then
    python3 -m venv "$trust_venv"
fi
"$trust_venv/bin/pip" install -q --disable-pip-version-check -r tests/trust/requirements.txt

# The SAML identity provider of tests/api/saml.rs (pysaml2, pinned in
# tests/saml/requirements.txt; it signs with Debian's xmlsec1, installed
# above), in its own virtualenv.
saml_venv=target/saml-venv
if [ ! -x "$saml_venv/bin/python" ]; then
    python3 -m venv "$saml_venv"
fi
"$saml_venv/bin/pip" install -q --disable-pip-version-check -r tests/saml/requirements.txt

# Chromium, in which tests/api/sso.rs signs in once as a person would
# (Debian's package, driven by playwright-core from tests/oidc).
if ! command -v chromium >/dev/null && [ -z "${CHROMIUM:-}" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "chromium is missing: install it (apt-get install chromium) or set CHROMIUM" >&2
        exit 1
    fi
fi

# The OpenID Provider of tests/api/sso.rs (panva's oidc-provider, pinned in
# tests/oidc/package-lock.json), which each SSO test starts itself with Node.
# Installed here, before the cargo tests that need it (like the TypeScript
# client's packages further down); the tests also run `npm ci` when it is
# missing, and fail (never skip) without Node.
npm ci --prefix tests/oidc --no-audit --no-fund --silent

# A failing test prints its message and where, not forty frames of
# backtrace after it: the end of a CI log is what gets read.
export RUST_BACKTRACE=0

pg_url="${TESSERA_TEST_POSTGRES_URL:-}"
echo "== tests on SQLite"
env -u TESSERA_TEST_POSTGRES_URL cargo test --locked --all-targets

if [ -n "$pg_url" ]; then
    echo "== HTTP tests on PostgreSQL"
    TESSERA_TEST_POSTGRES_URL="$pg_url" cargo test --locked --test api --test clock --test seed
fi

# High availability (tests/ha/run.sh): three replicas behind HAProxy on a
# PostgreSQL primary with a synchronous standby of its own (not the server
# above), killed under load. It needs nothing the next two suites use (its
# own clusters, directories and free ports, the binary built above), so it
# runs beside them, its output kept apart and shown when it ends.
echo "== high availability (in the background)"
ha_log=target/ha-run.log
mkdir -p target
TESSERA_BIN="$PWD/target/debug/tessera" bash tests/ha/run.sh >"$ha_log" 2>&1 &
ha_pid=$!

# SCIM conformance: the independent scim2-tester suite (PyPI) against a live
# server, on SQLite and on PostgreSQL when TESSERA_TEST_POSTGRES_URL is set.
echo "== SCIM conformance"
TESSERA_TEST_POSTGRES_URL="$pg_url" bash tests/scim/run.sh

# The typed TypeScript client (clients/typescript, npm packages pinned in its
# package-lock.json): generated types identical to what openapi/openapi.json
# generates, `tsc --strict`, and README's walk-through through it against a
# live server, on SQLite and on PostgreSQL when TESSERA_TEST_POSTGRES_URL is set.
echo "== TypeScript client"
TESSERA_TEST_POSTGRES_URL="$pg_url" bash tests/typescript/run.sh

echo "== high availability (waiting for it)"
ha_status=0
wait "$ha_pid" || ha_status=$?
cat "$ha_log"
if [ "$ha_status" != 0 ]; then
    echo "tests/ha failed (status $ha_status)" >&2
    exit 1
fi

# Fuzzing from the OpenAPI document (schemathesis, installed into a virtualenv
# under target/): on SQLite, and on PostgreSQL when TESSERA_TEST_POSTGRES_URL
# is set. Any finding fails the run.
echo "== schemathesis"
TESSERA_TEST_POSTGRES_URL="$pg_url" bash tests/schemathesis/run.sh
