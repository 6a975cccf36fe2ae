//! order-api: `POST /orders`, `GET /health` (default 127.0.0.1:8000).

use std::{net::SocketAddr, process::ExitCode, time::Duration};

use reqwest::Url;
use services::{
    cli::{self, ServiceArgs, TelemetryArgs},
    faults::Service,
    order_api::{self, DEFAULT_LISTEN, DEFAULT_PAYMENT_URL, OrderApiConfig},
};

/// The order API of the system under test, instrumented with OpenTelemetry.
/// Telemetry follows the OTEL_* variables; the flags below override them.
#[derive(Debug, clap::Parser)]
#[command(name = "order-api", version)]
struct Args {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_LISTEN)]
    listen: SocketAddr,

    /// Base URL of the payment service.
    #[arg(long, env = "PAYMENT_URL", value_name = "URL", default_value = DEFAULT_PAYMENT_URL, value_parser = cli::parse_http_url)]
    payment_url: Url,

    /// How long the payment service has to answer before a 504 (above zero).
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = cli::parse_timeout)]
    payment_timeout: Duration,

    #[command(flatten)]
    service: ServiceArgs,

    #[command(flatten)]
    telemetry: TelemetryArgs,
}

fn main() -> ExitCode {
    let args: Args = match cli_support::parse("order-api") {
        Ok(args) => args,
        Err(code) => return code,
    };
    let config = OrderApiConfig {
        payment_url: args.payment_url,
        payment_timeout: args.payment_timeout,
        body_limit: args.service.body_limit,
        faults: args.service.faults(),
    };
    cli::main(
        order_api::SERVICE_NAME,
        args.listen,
        &args.service,
        &args.telemetry,
        |provider| {
            cli::log_faults(Service::OrderApi, &config.faults);
            order_api::router(config, provider)
        },
    )
}
