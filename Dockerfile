# One image per service: docker build --build-arg SERVICE=auth-svc -t igny8/auth-svc:dev .
# SERVICE is a workspace binary: gateway, auth-svc, planner-svc, writer-svc, billing-svc,
# integration-svc or ai-svc. compose.yaml builds all seven.

# The builder matches the runtime's Debian release, so the binary finds the glibc it was linked
# against (an unpinned rust:1.95 tag may move to a newer Debian than bookworm-slim).
FROM rust:1.95-bookworm AS builder
ARG SERVICE
WORKDIR /src
COPY . .
# protoc is vendored by proto/build.rs and the build needs no database: sqlx's compile-time
# checks read the committed .sqlx/ data.
ENV SQLX_OFFLINE=true
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    test -n "$SERVICE" || { echo "build with --build-arg SERVICE=<binary>" >&2; exit 1; } \
    && cargo build --release --locked --bin "$SERVICE" \
    && install -D "target/release/$SERVICE" /out/igny8-service

FROM debian:bookworm-slim
ARG SERVICE
LABEL org.opencontainers.image.title="igny8 ${SERVICE}"
# ca-certificates: services call AI providers and WordPress sites over HTTPS.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home igny8
COPY --from=builder /out/igny8-service /usr/local/bin/igny8-service
USER 10001
# Exec form: the service is PID 1 and receives SIGTERM directly for a graceful shutdown.
ENTRYPOINT ["/usr/local/bin/igny8-service"]
