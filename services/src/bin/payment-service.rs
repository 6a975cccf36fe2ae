//! payment-service: `POST /payments`, `GET /health` (default 127.0.0.1:8001).

use std::{net::SocketAddr, process::ExitCode, time::Duration};

use services::{
    cli::{self, ServiceArgs, TelemetryArgs},
    faults::Service,
    payment_service::{self, DEFAULT_FRAUD_THRESHOLD, DEFAULT_LISTEN, PaymentServiceConfig},
};

/// The payment service of the system under test, instrumented with
/// OpenTelemetry. Telemetry follows the OTEL_* variables; the flags below
/// override them.
#[derive(Debug, clap::Parser)]
#[command(name = "payment-service", version)]
struct Args {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_LISTEN)]
    listen: SocketAddr,

    /// Amounts above this are declined as fraud (402); finite, zero or more.
    #[arg(long, value_name = "AMOUNT", default_value_t = DEFAULT_FRAUD_THRESHOLD, value_parser = cli::parse_amount)]
    fraud_threshold: f64,

    /// Simulated processing time of each charge.
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = cli_support::parse_duration)]
    charge_delay: Duration,

    #[command(flatten)]
    service: ServiceArgs,

    #[command(flatten)]
    telemetry: TelemetryArgs,
}

fn main() -> ExitCode {
    let args: Args = match cli_support::parse("payment-service") {
        Ok(args) => args,
        Err(code) => return code,
    };
    let config = PaymentServiceConfig {
        body_limit: args.service.body_limit,
        fraud_threshold: args.fraud_threshold,
        charge_delay: args.charge_delay,
        faults: args.service.faults(),
    };
    cli::main(
        payment_service::SERVICE_NAME,
        args.listen,
        &args.service,
        &args.telemetry,
        |provider| {
            cli::log_faults(Service::PaymentService, &config.faults);
            payment_service::router(config, provider)
        },
    )
}
