# One image with every tool of the workspace: loadgen, verifier, harness,
# tracestore and both services (order-api, payment-service).
#   docker build -t tracing-proof .
#   docker run --rm -p 8000:8000 tracing-proof order-api --listen 0.0.0.0:8000
# docker-compose.yml runs both services from it; deploy/k8s runs all of them.

FROM rust:1.95-bookworm AS build
WORKDIR /src
# The whole workspace: cargo needs every member's manifest.
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked \
        -p loadgen --bin loadgen \
        -p verifier --bin verifier \
        -p harness --bin harness \
        -p tracestore --bin tracestore \
        -p services --bin order-api --bin payment-service \
    && install -m 0755 target/release/loadgen target/release/verifier target/release/harness target/release/tracestore target/release/order-api target/release/payment-service /usr/local/bin/

FROM debian:bookworm-slim
# System roots for https:// targets and query APIs (rustls-native-certs).
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/ /usr/local/bin/
ENV RUST_LOG=info
# nobody (65534): the Kubernetes manifests run as this user.
USER 65534:65534
EXPOSE 8000 8001
CMD ["order-api", "--listen", "0.0.0.0:8000"]
