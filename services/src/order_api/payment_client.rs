//! The call to the payment service: a CLIENT span `POST /payments` with the
//! HTTP client conventions, W3C context injected into the request, a bounded
//! answer, and the mapping of every outcome onto order-api's answer.

use std::{error::Error as _, fmt, sync::Arc, time::Duration};

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, StatusCode};
use opentelemetry::{
    Context, KeyValue,
    trace::{Span, SpanKind, Status, TraceContextExt, Tracer},
};
use opentelemetry_sdk::trace::SdkTracer;
use reqwest::Url;

use super::{OrderApiConfig, validate::Order};
use crate::{
    error::{ApiError, ErrorBody},
    faults::Fault,
    http_span::status_text,
    payment_api::{PaymentReceipt, PaymentRequest},
    semconv::{
        ERROR_TYPE, HTTP_REQUEST_METHOD, HTTP_RESPONSE_STATUS_CODE, SERVER_ADDRESS, SERVER_PORT,
        URL_FULL,
    },
};

/// The span name of the call (docs/CONTRACT.md).
const SPAN_NAME: &str = "POST /payments";

/// The largest payment answer read; a longer one is a failed exchange.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// Why a call got no usable answer: the `error.type` of the CLIENT span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FailureKind {
    /// The connection could not be made (`connect`).
    Connect,
    /// No complete answer within the timeout (`timeout`).
    Timeout,
    /// The exchange broke, or the answer was too long (`io`).
    Io,
}

impl FailureKind {
    /// The `error.type` value.
    fn as_str(self) -> &'static str {
        match self {
            FailureKind::Connect => "connect",
            FailureKind::Timeout => "timeout",
            FailureKind::Io => "io",
        }
    }

    fn of(err: &reqwest::Error) -> Self {
        if err.is_timeout() {
            FailureKind::Timeout
        } else if err.is_connect() {
            FailureKind::Connect
        } else {
            FailureKind::Io
        }
    }
}

/// A call that got no usable answer, with the reason in words.
#[derive(Debug)]
struct PaymentFailure {
    kind: FailureKind,
    message: String,
}

impl fmt::Display for PaymentFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<reqwest::Error> for PaymentFailure {
    /// The causes of `err` (its own text repeats the URL the caller names).
    fn from(err: reqwest::Error) -> Self {
        let mut causes = Vec::new();
        let mut source = err.source();
        while let Some(cause) = source {
            causes.push(cause.to_string());
            source = cause.source();
        }
        let message = if causes.is_empty() {
            err.to_string()
        } else {
            causes.join(": ")
        };
        PaymentFailure {
            kind: FailureKind::of(&err),
            message,
        }
    }
}

/// The payment service as order-api sees it.
#[derive(Debug, Clone)]
pub(super) struct PaymentClient {
    http: reqwest::Client,
    url: Url,
    timeout: Duration,
    tracer: SdkTracer,
    span_kind: SpanKind,
    propagate: bool,
    static_attributes: Vec<KeyValue>,
}

impl PaymentClient {
    pub(super) fn new(config: &OrderApiConfig, tracer: SdkTracer) -> Self {
        let url = payments_url(&config.payment_url);
        let http = reqwest::Client::builder()
            .timeout(config.payment_timeout)
            .no_proxy()
            .build()
            // Only TLS setup or an invalid builder argument can fail; this
            // client has neither.
            .expect("an HTTP client without TLS always builds");
        // Shared values: each span takes a reference, not a copy.
        let mut static_attributes = vec![
            KeyValue::new(HTTP_REQUEST_METHOD, "POST"),
            KeyValue::new(URL_FULL, Arc::<str>::from(url.as_str())),
        ];
        if let Some(host) = url.host_str() {
            static_attributes.push(KeyValue::new(SERVER_ADDRESS, Arc::<str>::from(host)));
        }
        if let Some(port) = url.port_or_known_default() {
            static_attributes.push(KeyValue::new(SERVER_PORT, i64::from(port)));
        }
        let faults = &config.faults;
        PaymentClient {
            http,
            url,
            timeout: config.payment_timeout,
            tracer,
            span_kind: if faults.contains(Fault::WrongKind) {
                SpanKind::Internal
            } else {
                SpanKind::Client
            },
            propagate: !faults.contains(Fault::DropPropagation),
            static_attributes,
        }
    }

    /// Charges `order` inside a CLIENT span, child of `cx`'s span.
    pub(super) async fn charge(
        &self,
        cx: &Context,
        order: &Order,
    ) -> Result<PaymentReceipt, ApiError> {
        let mut span = self.tracer.build_with_context(
            self.tracer
                .span_builder(SPAN_NAME)
                .with_kind(self.span_kind.clone()),
            cx,
        );
        if span.is_recording() {
            for attribute in &self.static_attributes {
                span.set_attribute(attribute.clone());
            }
        }
        let cx = cx.with_span(span);
        let request = PaymentRequest {
            customer_id: Some(order.customer_id.clone()),
            amount: Some(order.amount),
        };
        let outcome = self.send(&cx, &request).await;
        record_outcome(&cx, &outcome);
        cx.span().end();
        self.interpret(outcome)
    }

    async fn send(
        &self,
        cx: &Context,
        request: &PaymentRequest,
    ) -> Result<(StatusCode, Bytes), PaymentFailure> {
        let mut headers = HeaderMap::new();
        if self.propagate {
            telemetry::inject_context(cx, &mut headers);
        }
        let mut response = self
            .http
            .post(self.url.clone())
            .headers(headers)
            .json(request)
            .send()
            .await?;
        let status = response.status();
        let mut body = BytesMut::new();
        while let Some(chunk) = response.chunk().await? {
            if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(PaymentFailure {
                    kind: FailureKind::Io,
                    message: format!("the payment answer exceeds {MAX_ANSWER_BYTES} bytes"),
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, body.freeze()))
    }

    /// order-api's answer for each outcome of the call.
    fn interpret(
        &self,
        outcome: Result<(StatusCode, Bytes), PaymentFailure>,
    ) -> Result<PaymentReceipt, ApiError> {
        match outcome {
            Ok((StatusCode::OK, body)) => serde_json::from_slice(&body).map_err(|e| {
                ApiError::payment_unavailable(format!(
                    "the payment service answered 200 with an unreadable body: {e}"
                ))
            }),
            Ok((StatusCode::PAYMENT_REQUIRED, body)) => {
                let message = serde_json::from_slice::<ErrorBody>(&body)
                    .map(|b| b.error.message)
                    .unwrap_or_else(|_| "the payment was declined".to_owned());
                Err(ApiError::payment_declined(message))
            }
            Ok((status, _)) => Err(ApiError::payment_unavailable(format!(
                "the payment service answered {}",
                status_text(status)
            ))),
            Err(failure) if failure.kind == FailureKind::Timeout => {
                Err(ApiError::payment_timeout(format!(
                    "the payment service did not answer within {}",
                    humantime::format_duration(self.timeout)
                )))
            }
            Err(failure) => Err(ApiError::payment_unavailable(format!(
                "cannot reach the payment service at {}: {failure}",
                self.url
            ))),
        }
    }
}

/// Records the answer's status code, or the failure, on the CLIENT span:
/// ERROR for a 4xx or 5xx answer and for no answer, with `error.type`.
fn record_outcome(cx: &Context, outcome: &Result<(StatusCode, Bytes), PaymentFailure>) {
    let span = cx.span();
    if !span.is_recording() {
        return;
    }
    match outcome {
        Ok((status, _)) => {
            span.set_attribute(KeyValue::new(
                HTTP_RESPONSE_STATUS_CODE,
                i64::from(status.as_u16()),
            ));
            if status.is_client_error() || status.is_server_error() {
                span.set_attribute(KeyValue::new(ERROR_TYPE, status.as_str().to_owned()));
                span.set_status(Status::error(status_text(*status)));
            }
        }
        Err(failure) => {
            span.set_attribute(KeyValue::new(ERROR_TYPE, failure.kind.as_str()));
            span.set_status(Status::error(failure.message.clone()));
        }
    }
}

/// `<base>/payments`, keeping any path prefix of the base URL.
fn payments_url(base: &Url) -> Url {
    let mut url = base.clone();
    let path = format!("{}/payments", base.path().trim_end_matches('/'));
    url.set_path(&path);
    url.set_query(None);
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payments_url_keeps_the_base_path() {
        for (base, want) in [
            ("http://127.0.0.1:8001", "http://127.0.0.1:8001/payments"),
            ("http://pay:8001/", "http://pay:8001/payments"),
            ("http://gw/pay/v1", "http://gw/pay/v1/payments"),
            ("http://gw/pay/v1/?x=1", "http://gw/pay/v1/payments"),
        ] {
            assert_eq!(payments_url(&Url::parse(base).unwrap()).as_str(), want);
        }
    }
}
