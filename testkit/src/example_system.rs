//! A second instrumented system, unlike order/payment, to prove that the
//! loadgen and the verifier drive and check any HTTP system from their
//! docs alone: a `gateway` answering `GET /quote?sku=..&qty=..` for the
//! tenant its `x-tenant` header names, which asks an `inventory` service
//! `GET /stock?sku=..` (the header forwarded) before pricing the quote.
//!
//! ```text
//! gateway    SERVER   GET /quote       tenant.id; 200, 400 (no x-tenant), 404 (unknown sku)
//! gateway      CLIENT   GET /stock     url.full, server.address, server.port; ERROR on 404
//! inventory      SERVER   GET /stock   200 or 404
//! inventory        INTERNAL lookup     inventory.sku, inventory.available; ERROR + event sku.missing
//! gateway      INTERNAL price          quote.total (only when in stock)
//! ```
//!
//! A sku is known when it starts with `SKU-`. Both services build their
//! spans with the OpenTelemetry SDK through the project's `telemetry` crate
//! and carry trace context with the [`Propagators`] they are given (the
//! test configures `b3multi`; [`ExampleSystemConfig::from_env`] reads
//! `OTEL_PROPAGATORS`), sampling parent-based so that the caller's sampled
//! flag decides. Each exports over OTLP/gRPC with a 100 ms batch delay.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    Json, Router,
    extract::{Query, State, rejection::QueryRejection},
    http::{HeaderMap, StatusCode, Uri},
    routing::get,
};
use opentelemetry::{
    Context, KeyValue,
    trace::{Span, SpanKind, Status, TraceContextExt, Tracer, TracerProvider as _},
};
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use serde::Deserialize;
use telemetry::{BatchOptions, OtelConfig, Propagators, SamplerConfig};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};
use tracestore::{RunningTraceStore, TraceStore, TraceStoreConfig};

/// What the pair needs: where spans go and which trace context format the
/// services speak.
#[derive(Debug)]
pub struct ExampleSystemConfig {
    /// OTLP/gRPC endpoint both services export to.
    pub otlp_endpoint: String,
    /// Extraction on every request and injection on the gateway's call.
    pub propagators: Propagators,
}

impl ExampleSystemConfig {
    /// Exports to `otlp_endpoint`, propagating as `OTEL_PROPAGATORS` says,
    /// as a real service would.
    pub fn from_env(otlp_endpoint: impl Into<String>) -> Result<Self, telemetry::ConfigError> {
        Ok(ExampleSystemConfig {
            otlp_endpoint: otlp_endpoint.into(),
            propagators: Propagators::from_env()?,
        })
    }
}

/// Why the pair could not start.
#[derive(Debug, thiserror::Error)]
pub enum ExampleSystemError {
    /// A tracer provider could not be built.
    #[error("tracer provider")]
    Telemetry(#[from] telemetry::TelemetryError),
    /// A loopback port could not be bound.
    #[error("cannot listen on 127.0.0.1:0")]
    Listen(#[source] std::io::Error),
    /// The gateway's HTTP client could not be built.
    #[error("http client")]
    Client(#[source] reqwest::Error),
    /// A propagator list telemetry does not know.
    #[error("propagators")]
    Propagators(#[source] telemetry::ConfigError),
    /// The tracestore it exports to could not start.
    #[error("tracestore")]
    Store(#[source] tracestore::Error),
}

/// The gateway and the inventory, serving on ephemeral loopback ports
/// until [`ExampleSystem::shutdown`].
pub struct ExampleSystem {
    gateway: Served,
    inventory: Served,
}

/// One service: its address, provider and server task.
struct Served {
    addr: SocketAddr,
    provider: SdkTracerProvider,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl ExampleSystem {
    /// The loadgen scenarios file for this system, written from
    /// loadgen/README.md alone (`quote`, `unknown-sku`, `no-tenant`).
    pub const SCENARIOS_FILE: &'static str =
        concat!(env!("CARGO_MANIFEST_DIR"), "/example-system/scenarios.toml");
    /// The verifier spec for this system, written from verifier/README.md alone.
    pub const SPEC_FILE: &'static str =
        concat!(env!("CARGO_MANIFEST_DIR"), "/example-system/spec.toml");

    /// Starts inventory, then the gateway pointing at it.
    pub async fn start(config: ExampleSystemConfig) -> Result<ExampleSystem, ExampleSystemError> {
        let propagators = Arc::new(config.propagators);
        let inventory_provider = provider("inventory", &config.otlp_endpoint)?;
        let inventory = Arc::new(Service {
            tracer: inventory_provider.tracer("inventory"),
            propagators: propagators.clone(),
        });
        let inventory = serve(
            Router::new()
                .route("/stock", get(stock))
                .with_state(inventory),
            inventory_provider,
        )
        .await?;

        let gateway_provider = provider("gateway", &config.otlp_endpoint)?;
        let gateway = Arc::new(Gateway {
            service: Service {
                tracer: gateway_provider.tracer("gateway"),
                propagators,
            },
            inventory: inventory.addr,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .map_err(ExampleSystemError::Client)?,
        });
        let gateway = serve(
            Router::new()
                .route("/quote", get(quote))
                .with_state(gateway),
            gateway_provider,
        )
        .await?;
        Ok(ExampleSystem { gateway, inventory })
    }

    /// A fresh tracestore on ephemeral loopback ports and the system
    /// exporting into it over OTLP/gRPC, speaking B3 multi-header and W3C
    /// baggage (what the loadgen's `--propagator b3multi` sends): the
    /// set-up of every test that loads and verifies the system from
    /// outside. Stop both: the system first, so its last spans reach the
    /// store.
    pub async fn start_b3multi_with_store()
    -> Result<(RunningTraceStore, ExampleSystem), ExampleSystemError> {
        let store = TraceStore::start(TraceStoreConfig::ephemeral())
            .await
            .map_err(ExampleSystemError::Store)?;
        let propagators =
            Propagators::parse("b3multi,baggage").map_err(ExampleSystemError::Propagators)?;
        let system = ExampleSystem::start(ExampleSystemConfig {
            otlp_endpoint: store.otlp_grpc_endpoint(),
            propagators,
        })
        .await?;
        Ok((store, system))
    }

    /// The gateway's base URL (`http://127.0.0.1:<port>`): the loadgen's target.
    pub fn gateway_url(&self) -> String {
        format!("http://{}", self.gateway.addr)
    }

    /// Exports every span ended so far (without waiting for the batch delay).
    pub async fn flush(&self) {
        for provider in [&self.gateway.provider, &self.inventory.provider] {
            let provider = provider.clone();
            // A failed flush shows as missing spans in the verifier's report.
            let _ = tokio::task::spawn_blocking(move || provider.force_flush()).await;
        }
    }

    /// Stops both servers, then flushes and shuts down their providers.
    pub async fn shutdown(self) {
        for served in [self.gateway, self.inventory] {
            let _ = served.stop.send(());
            let _ = served.task.await;
            let _ = telemetry::shutdown_provider(served.provider).await;
        }
    }
}

fn provider(name: &str, endpoint: &str) -> Result<SdkTracerProvider, ExampleSystemError> {
    let mut otel =
        OtelConfig::new(name, SamplerConfig::ParentBasedAlwaysOn).with_endpoint(endpoint);
    otel.batch = BatchOptions {
        scheduled_delay: Some(Duration::from_millis(100)),
        ..BatchOptions::default()
    };
    Ok(telemetry::build_provider(&otel)?)
}

async fn serve(router: Router, provider: SdkTracerProvider) -> Result<Served, ExampleSystemError> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(ExampleSystemError::Listen)?;
    let addr = listener.local_addr().map_err(ExampleSystemError::Listen)?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    Ok(Served {
        addr,
        provider,
        stop,
        task,
    })
}

/// A service's tracer and trace context format.
struct Service {
    tracer: SdkTracer,
    propagators: Arc<Propagators>,
}

impl Service {
    /// The SERVER span of a request, child of the context its headers carry.
    fn server_span(&self, headers: &HeaderMap, uri: &Uri, route: &str) -> Context {
        let parent = self.propagators.extract(headers);
        let mut span = self.tracer.build_with_context(
            self.tracer
                .span_builder(format!("GET {route}"))
                .with_kind(SpanKind::Server),
            &parent,
        );
        span.set_attributes([
            KeyValue::new("http.request.method", "GET"),
            KeyValue::new("http.route", route.to_owned()),
            KeyValue::new("url.path", uri.path().to_owned()),
            KeyValue::new("url.query", uri.query().unwrap_or_default().to_owned()),
            KeyValue::new("url.scheme", "http"),
        ]);
        parent.with_span(span)
    }

    /// An INTERNAL span under `cx`.
    fn internal(&self, cx: &Context, name: &'static str) -> opentelemetry_sdk::trace::Span {
        self.tracer.build_with_context(
            self.tracer.span_builder(name).with_kind(SpanKind::Internal),
            cx,
        )
    }
}

/// Ends the SERVER span in `cx` with the answer's status (ERROR for a 5xx).
fn answer<T>(cx: &Context, status: StatusCode, body: T) -> (StatusCode, Json<T>) {
    let span = cx.span();
    span.set_attribute(KeyValue::new(
        "http.response.status_code",
        i64::from(status.as_u16()),
    ));
    if status.is_server_error() {
        span.set_attribute(KeyValue::new("error.type", status.as_str().to_owned()));
        span.set_status(Status::error(""));
    }
    span.end();
    (status, Json(body))
}

#[derive(Deserialize)]
struct StockQuery {
    sku: String,
}

/// `GET /stock?sku=..`: how many of a sku the tenant has.
async fn stock(
    State(service): State<Arc<Service>>,
    headers: HeaderMap,
    uri: Uri,
    query: Result<Query<StockQuery>, QueryRejection>,
) -> (StatusCode, Json<serde_json::Value>) {
    let cx = service.server_span(&headers, &uri, "/stock");
    let Ok(Query(query)) = query else {
        return answer(
            &cx,
            StatusCode::BAD_REQUEST,
            serde_json::json!({"error": "sku missing"}),
        );
    };
    let mut lookup = service.internal(&cx, "lookup");
    lookup.set_attribute(KeyValue::new("inventory.sku", query.sku.clone()));
    if let Some(tenant) = headers.get("x-tenant").and_then(|v| v.to_str().ok()) {
        lookup.set_attribute(KeyValue::new("tenant.id", tenant.to_owned()));
    }
    if !query.sku.starts_with("SKU-") {
        lookup.add_event(
            "sku.missing",
            vec![KeyValue::new("inventory.sku", query.sku.clone())],
        );
        lookup.set_status(Status::error("unknown sku"));
        lookup.end();
        return answer(
            &cx,
            StatusCode::NOT_FOUND,
            serde_json::json!({"error": "unknown sku"}),
        );
    }
    let available = i64::try_from(query.sku.len() * 7).unwrap_or(i64::MAX);
    lookup.set_attribute(KeyValue::new("inventory.available", available));
    lookup.end();
    answer(
        &cx,
        StatusCode::OK,
        serde_json::json!({"sku": query.sku, "available": available}),
    )
}

/// The gateway: its spans and the inventory it calls.
struct Gateway {
    service: Service,
    inventory: SocketAddr,
    client: reqwest::Client,
}

#[derive(Deserialize)]
struct QuoteQuery {
    sku: String,
    qty: u32,
}

/// `GET /quote?sku=..&qty=..` with `x-tenant`: checks the stock, prices it.
async fn quote(
    State(gateway): State<Arc<Gateway>>,
    headers: HeaderMap,
    uri: Uri,
    query: Result<Query<QuoteQuery>, QueryRejection>,
) -> (StatusCode, Json<serde_json::Value>) {
    let service = &gateway.service;
    let cx = service.server_span(&headers, &uri, "/quote");
    let tenant = headers.get("x-tenant").and_then(|v| v.to_str().ok());
    let (Some(tenant), Ok(Query(query))) = (tenant, query) else {
        return answer(
            &cx,
            StatusCode::BAD_REQUEST,
            serde_json::json!({"error": "x-tenant header and sku, qty parameters required"}),
        );
    };
    cx.span()
        .set_attribute(KeyValue::new("tenant.id", tenant.to_owned()));

    let status = match gateway.stock(&cx, tenant, &query.sku).await {
        Ok(status) => status,
        Err(status) => {
            return answer(
                &cx,
                status,
                serde_json::json!({"error": "inventory unreachable"}),
            );
        }
    };
    if status == StatusCode::NOT_FOUND {
        return answer(
            &cx,
            StatusCode::NOT_FOUND,
            serde_json::json!({"error": "unknown sku"}),
        );
    }
    let mut price = service.internal(&cx, "price");
    let total = f64::from(query.qty) * 9.5;
    price.set_attribute(KeyValue::new("quote.total", total));
    price.end();
    answer(
        &cx,
        StatusCode::OK,
        serde_json::json!({"sku": query.sku, "qty": query.qty, "total": total}),
    )
}

impl Gateway {
    /// `GET /stock` on the inventory in a CLIENT span under `cx`, the
    /// trace context injected; the inventory's status, or 502 when no
    /// answer came.
    async fn stock(&self, cx: &Context, tenant: &str, sku: &str) -> Result<StatusCode, StatusCode> {
        let tracer = &self.service.tracer;
        let url = reqwest::Url::parse_with_params(
            &format!("http://{}/stock", self.inventory),
            [("sku", sku)],
        )
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
        let span = tracer.build_with_context(
            tracer
                .span_builder("GET /stock")
                .with_kind(SpanKind::Client),
            cx,
        );
        let client_cx = cx.with_span(span);
        let span = client_cx.span();
        span.set_attributes([
            KeyValue::new("http.request.method", "GET"),
            KeyValue::new("url.full", url.to_string()),
            KeyValue::new("server.address", self.inventory.ip().to_string()),
            KeyValue::new("server.port", i64::from(self.inventory.port())),
        ]);
        let mut headers = reqwest::header::HeaderMap::new();
        self.service.propagators.inject(&client_cx, &mut headers);
        let sent = self
            .client
            .get(url)
            .header("x-tenant", tenant)
            .headers(headers)
            .send()
            .await;
        let result = match sent {
            Ok(response) => {
                let status = response.status();
                span.set_attribute(KeyValue::new(
                    "http.response.status_code",
                    i64::from(status.as_u16()),
                ));
                if status.is_client_error() || status.is_server_error() {
                    span.set_attribute(KeyValue::new("error.type", status.as_str().to_owned()));
                    span.set_status(Status::error(""));
                }
                Ok(status)
            }
            Err(_) => {
                span.set_attribute(KeyValue::new("error.type", "connect"));
                span.set_status(Status::error("inventory unreachable"));
                Err(StatusCode::BAD_GATEWAY)
            }
        };
        span.end();
        result
    }
}
