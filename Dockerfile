# syntax=docker/dockerfile:1
# Build: the release binary, with libpq for the PostgreSQL backend and
# libxmlsec1 (through bindgen, so clang) for SAML.
FROM rust:1-slim-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq-dev pkg-config \
      libxmlsec1-dev libxml2-dev libssl-dev clang \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock askama.toml ./
# How the bundled SQLite is compiled (LIBSQLITE3_FLAGS).
COPY .cargo ./.cargo
COPY src ./src
COPY migrations ./migrations
COPY openapi ./openapi
# Cargo.toml declares the micro-benchmarks: their sources must be present.
COPY benches ./benches
RUN cargo build --release --locked --bin tessera

# Run: a slim image, a non-root user, the SQLite file in a volume.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 ca-certificates curl \
      libxmlsec1 libxmlsec1-openssl libxml2 libssl3 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin tessera \
 && mkdir -p /data && chown tessera /data
COPY --from=build /src/target/release/tessera /usr/local/bin/tessera
USER tessera
WORKDIR /data
VOLUME ["/data"]
# With PostgreSQL set TESSERA_ENCRYPTION_KEY (required, from a secret
# store); on SQLite an unset TESSERA_ENCRYPTION_KEY is
# generated into /data/tessera.db.key, beside the database in the volume.
# Set TESSERA_MCP_ALLOWED_HOSTS to the names clients reach the container by
# (the MCP endpoint serves only those Host headers), and TESSERA_PUBLIC_URL
# for the links in mails and as the issuer of tokens.
# glibc's allocator, as measured in docs/PERFORMANCE.md: MALLOC_ARENA_MAX=2,
# because each thread that allocates gets a heap arena of its own and the
# blocking pool's threads each kept freed memory in theirs;
# MALLOC_MMAP_THRESHOLD_=1048576, because otherwise glibc raises its mmap
# threshold after the first 19 MiB argon2 block is freed and keeps every later
# one in a heap arena.
ENV TESSERA_DATABASE_URL=sqlite:///data/tessera.db \
    TESSERA_BIND=0.0.0.0:8080 \
    MALLOC_ARENA_MAX=2 \
    MALLOC_MMAP_THRESHOLD_=1048576
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["tessera"]
CMD ["serve"]
