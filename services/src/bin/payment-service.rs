//! payment-service: `POST /payments`, `GET /health` (default 127.0.0.1:8001).

use std::process::ExitCode;

use services::{
    cli,
    faults::Service,
    payment_service::{self, PaymentServiceArgs},
};

fn main() -> ExitCode {
    let args: PaymentServiceArgs = match cli_support::parse("payment-service") {
        Ok(args) => args,
        Err(code) => return code,
    };
    let config = args.config();
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
