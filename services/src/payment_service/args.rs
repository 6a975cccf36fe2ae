//! The `payment-service` binary's command line, in the library so that
//! other crates' tests (the Kubernetes manifests') parse with the real flags.

use std::{net::SocketAddr, time::Duration};

use crate::cli::{self, ServiceArgs, TelemetryArgs};

use super::{DEFAULT_FRAUD_THRESHOLD, DEFAULT_LISTEN, PaymentServiceConfig};

/// The payment service of the system under test, instrumented with
/// OpenTelemetry. Telemetry follows the OTEL_* variables; the flags below
/// override them.
#[derive(Debug, clap::Parser)]
#[command(name = "payment-service", version)]
pub struct PaymentServiceArgs {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,

    /// Amounts above this are declined as fraud (402); finite, zero or more.
    #[arg(long, value_name = "AMOUNT", default_value_t = DEFAULT_FRAUD_THRESHOLD, value_parser = cli::parse_amount)]
    pub fraud_threshold: f64,

    /// Simulated processing time of each charge.
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = cli_support::parse_duration)]
    pub charge_delay: Duration,

    /// The flags both services take.
    #[command(flatten)]
    pub service: ServiceArgs,

    /// The telemetry flags.
    #[command(flatten)]
    pub telemetry: TelemetryArgs,
}

impl PaymentServiceArgs {
    /// The service's configuration these flags describe.
    pub fn config(&self) -> PaymentServiceConfig {
        PaymentServiceConfig {
            body_limit: self.service.body_limit,
            fraud_threshold: self.fraud_threshold,
            charge_delay: self.charge_delay,
            faults: self.service.faults(),
        }
    }
}
