# Builds both services (order-api, payment-service) into one small image.
#   docker build -t tracing-proof-services .
#   docker run --rm -p 8000:8000 tracing-proof-services order-api --listen 0.0.0.0:8000
# docker-compose.yml uses it for both services.

FROM rust:1.95-bookworm AS build
WORKDIR /src
# The whole workspace: cargo needs every member's manifest.
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p services --bin order-api --bin payment-service \
    && install -m 0755 target/release/order-api target/release/payment-service /usr/local/bin/

FROM debian:bookworm-slim
COPY --from=build /usr/local/bin/order-api /usr/local/bin/payment-service /usr/local/bin/
# Listen on all interfaces inside the container; compose publishes the ports.
ENV RUST_LOG=info
USER nobody
EXPOSE 8000 8001
CMD ["order-api", "--listen", "0.0.0.0:8000"]
