//! The `order-api` binary's command line, in the library so that other
//! crates' tests (the Kubernetes manifests') parse with the real flags.

use std::{net::SocketAddr, time::Duration};

use reqwest::Url;

use crate::cli::{self, ServiceArgs, TelemetryArgs};

use super::{DEFAULT_LISTEN, DEFAULT_PAYMENT_URL, OrderApiConfig};

/// The order API of the system under test, instrumented with OpenTelemetry.
/// Telemetry follows the OTEL_* variables; the flags below override them.
#[derive(Debug, clap::Parser)]
#[command(name = "order-api", version)]
pub struct OrderApiArgs {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,

    /// Base URL of the payment service.
    #[arg(long, env = "PAYMENT_URL", value_name = "URL", default_value = DEFAULT_PAYMENT_URL, value_parser = cli::parse_payment_url)]
    pub payment_url: Url,

    /// How long the payment service has to answer before a 504 (above zero).
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = cli::parse_timeout)]
    pub payment_timeout: Duration,

    /// The flags both services take.
    #[command(flatten)]
    pub service: ServiceArgs,

    /// The telemetry flags.
    #[command(flatten)]
    pub telemetry: TelemetryArgs,
}

impl OrderApiArgs {
    /// The service's configuration these flags describe.
    pub fn config(&self) -> OrderApiConfig {
        OrderApiConfig {
            payment_url: self.payment_url.clone(),
            payment_timeout: self.payment_timeout,
            body_limit: self.service.body_limit,
            faults: self.service.faults(),
        }
    }
}
