//! A trivial HTTP target for measuring the load generator itself:
//! `GET /health` -> 200 `{"status":"ok"}`, `POST /orders` -> 201 (body read
//! and ignored), and a null OTLP/HTTP receiver, `POST /v1/traces` -> 200 with
//! an empty protobuf answer, to measure what exporting root spans costs the
//! generator alone. Usage: `trivial_target [ADDR]` (default 127.0.0.1:9000).

use axum::{
    Router,
    http::StatusCode,
    routing::{get, post},
};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9000".to_owned());
    let app = Router::new()
        .route("/health", get(|| async { r#"{"status":"ok"}"# }))
        .route(
            "/orders",
            post(|_body: axum::body::Bytes| async {
                (StatusCode::CREATED, r#"{"status":"confirmed"}"#)
            }),
        )
        .route(
            "/v1/traces",
            post(|_body: axum::body::Bytes| async {
                ([("content-type", "application/x-protobuf")], "")
            }),
        );
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!(
        "trivial_target listening on http://{}",
        listener.local_addr()?
    );
    axum::serve(listener, app).await
}
