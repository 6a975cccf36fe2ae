//! order-api: `POST /orders`, `GET /health` (default 127.0.0.1:8000).

use std::process::ExitCode;

use services::{
    cli,
    faults::Service,
    order_api::{self, OrderApiArgs},
};

fn main() -> ExitCode {
    let args: OrderApiArgs = match cli_support::parse("order-api") {
        Ok(args) => args,
        Err(code) => return code,
    };
    let config = args.config();
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
