//! Both services in one process: payment-service, then order-api pointing
//! at it, each served on 127.0.0.1 with its own tracer provider. The one
//! builder of the wired pair: the harness's stack puts a store next to it,
//! the services' tests record its spans in memory, the per-request benches
//! call its order-api router.

use std::{error::Error, io, net::SocketAddr};

use axum::Router;
use opentelemetry_sdk::trace::SdkTracerProvider;
use telemetry::{ExporterKind, OtelConfig, SamplerConfig};
use tokio::{net::TcpListener, sync::watch, task::JoinHandle};

use crate::{
    faults::Faults,
    order_api::{self, OrderApiConfig},
    payment_service::{self, PaymentServiceConfig},
};

/// A cause kept as it came: what a caller's provider builder failed with
/// (a bad endpoint or exporter setting), or what the SDK's flush said.
pub type BoxError = Box<dyn Error + Send + Sync>;

/// How both services sample and export.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ServiceTracing {
    /// The instrumentation runs with `parentbased_always_off` and no
    /// exporter: it costs what an unsampled request costs, records nothing.
    Off,
    /// This sampler, exporting over OTLP.
    Sampler(SamplerConfig),
}

impl Default for ServiceTracing {
    /// Every trace the caller samples: `parentbased_traceidratio` at 1.0.
    fn default() -> Self {
        ServiceTracing::Sampler(SamplerConfig::ParentBasedTraceIdRatio(1.0))
    }
}

impl ServiceTracing {
    /// The telemetry configuration of `service` in this mode (the
    /// exporter's endpoint and batching left to the caller).
    pub fn otel_config(self, service: &str) -> OtelConfig {
        match self {
            ServiceTracing::Off => {
                let mut cfg = OtelConfig::new(service, SamplerConfig::ParentBasedAlwaysOff);
                cfg.exporter = ExporterKind::None;
                cfg
            }
            ServiceTracing::Sampler(sampler) => OtelConfig::new(service, sampler),
        }
    }
}

/// What to start.
#[derive(Debug, Clone)]
pub struct PairConfig {
    /// order-api's port on 127.0.0.1 (0: one the OS picks).
    pub order_api_port: u16,
    /// payment-service's port on 127.0.0.1 (0: one the OS picks).
    pub payment_port: u16,
    /// order-api's settings; its `payment_url` is replaced by
    /// [`PairConfig::payment_url`].
    pub order_api: OrderApiConfig,
    /// Where order-api sends its payments: `None`, the started
    /// payment-service (a test of an unreachable payment service names
    /// another).
    pub payment_url: Option<reqwest::Url>,
    /// payment-service's settings.
    pub payment: PaymentServiceConfig,
}

impl Default for PairConfig {
    /// Both services with their defaults on ephemeral ports.
    fn default() -> Self {
        PairConfig {
            order_api_port: 0,
            payment_port: 0,
            order_api: OrderApiConfig::default(),
            payment: PaymentServiceConfig::default(),
            payment_url: None,
        }
    }
}

impl PairConfig {
    /// The same faults injected into both services.
    pub fn with_faults(mut self, faults: Faults) -> Self {
        self.payment.faults = faults.clone();
        self.order_api.faults = faults;
        self
    }
}

/// Why the pair could not start or stop cleanly.
#[derive(Debug, thiserror::Error)]
pub enum PairError {
    /// A service's tracer provider could not be built.
    #[error("{service}: tracer provider")]
    Provider {
        /// The service.
        service: &'static str,
        /// What the provider builder said.
        #[source]
        source: BoxError,
    },
    /// A service could not listen on its port.
    #[error("{service} cannot listen on 127.0.0.1:{port}")]
    Listen {
        /// The service.
        service: &'static str,
        /// The port asked for (0: ephemeral).
        port: u16,
        /// The socket error.
        #[source]
        source: io::Error,
    },
    /// A service failed while serving, or its task did not finish.
    #[error("{service} stopped serving with an error")]
    Serve {
        /// The service.
        service: &'static str,
        /// The server's error.
        #[source]
        source: io::Error,
    },
    /// A service's spans could not be flushed.
    #[error("{service}: flushing its spans")]
    Flush {
        /// The service.
        service: &'static str,
        /// The exporter's or the provider's error.
        #[source]
        source: BoxError,
    },
}

/// One service of the pair, serving.
struct RunningService {
    name: &'static str,
    addr: SocketAddr,
    provider: SdkTracerProvider,
    task: JoinHandle<io::Result<()>>,
}

/// The started pair. Dropping it stops both servers; [`ServicePair::shutdown`]
/// also waits for in-flight requests and flushes every span.
pub struct ServicePair {
    order_api: RunningService,
    payment: RunningService,
    order_api_router: Router,
    stop: watch::Sender<bool>,
}

impl ServicePair {
    /// Starts payment-service, then order-api pointing at it; `provider`
    /// builds each service's tracer provider from its name
    /// ([`payment_service::SERVICE_NAME`], [`order_api::SERVICE_NAME`]).
    pub async fn start<E>(
        config: PairConfig,
        mut provider: impl FnMut(&'static str) -> Result<SdkTracerProvider, E>,
    ) -> Result<ServicePair, PairError>
    where
        E: Into<BoxError>,
    {
        let mut build = |service: &'static str| {
            provider(service).map_err(|e| PairError::Provider {
                service,
                source: e.into(),
            })
        };
        let (stop, stopped) = watch::channel(false);

        let payment_provider = build(payment_service::SERVICE_NAME)?;
        let payment_router = payment_service::router(config.payment, payment_provider.clone());
        let payment = RunningService::spawn(
            payment_service::SERVICE_NAME,
            config.payment_port,
            payment_router,
            payment_provider,
            stopped.clone(),
        )
        .await?;

        let order_provider = build(order_api::SERVICE_NAME)?;
        let mut order_config = config.order_api;
        order_config.payment_url = config.payment_url.unwrap_or_else(|| payment.url());
        let order_api_router = order_api::router(order_config, order_provider.clone());
        let order_api = RunningService::spawn(
            order_api::SERVICE_NAME,
            config.order_api_port,
            order_api_router.clone(),
            order_provider,
            stopped,
        )
        .await?;

        Ok(ServicePair {
            order_api,
            payment,
            order_api_router,
            stop,
        })
    }

    /// Where order-api listens.
    pub fn order_api_addr(&self) -> SocketAddr {
        self.order_api.addr
    }

    /// Where payment-service listens.
    pub fn payment_addr(&self) -> SocketAddr {
        self.payment.addr
    }

    /// Base URL of order-api (`http://127.0.0.1:<port>`), the load's target.
    pub fn order_api_url(&self) -> String {
        format!("http://{}", self.order_api.addr)
    }

    /// Base URL of payment-service.
    pub fn payment_url(&self) -> String {
        format!("http://{}", self.payment.addr)
    }

    /// order-api's router, the one being served: for callers that measure
    /// a request without order-api's socket (its calls to payment-service
    /// still go over loopback HTTP).
    pub fn order_api_router(&self) -> Router {
        self.order_api_router.clone()
    }

    /// Exports every span both services have ended so far, now rather than
    /// at the next batch tick (the providers' force flush, off the async
    /// workers).
    pub async fn flush(&self) -> Result<(), PairError> {
        for service in [&self.order_api, &self.payment] {
            service.flush().await?;
        }
        Ok(())
    }

    /// Stops both services gracefully (in-flight requests finish), then
    /// flushes and shuts down their providers; the first error is returned,
    /// after every step has run.
    pub async fn shutdown(self) -> Result<(), PairError> {
        self.stop.send_replace(true);
        let mut first_error = None;
        for service in [self.order_api, self.payment] {
            let name = service.name;
            let served = match service.task.await {
                Ok(served) => served,
                Err(joined) => Err(io::Error::other(joined)),
            };
            if let Err(source) = served {
                first_error.get_or_insert(PairError::Serve {
                    service: name,
                    source,
                });
            }
            if let Err(source) = telemetry::shutdown_provider(service.provider).await {
                first_error.get_or_insert(PairError::Flush {
                    service: name,
                    source: source.into(),
                });
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

impl RunningService {
    async fn spawn(
        name: &'static str,
        port: u16,
        router: Router,
        provider: SdkTracerProvider,
        mut stopped: watch::Receiver<bool>,
    ) -> Result<RunningService, PairError> {
        let listen = |source| PairError::Listen {
            service: name,
            port,
            source,
        };
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(listen)?;
        let addr = listener.local_addr().map_err(listen)?;
        let task = tokio::spawn(crate::serve(listener, router, async move {
            // Resolves when the flag turns true or the pair is dropped.
            let _ = stopped.wait_for(|stop| *stop).await;
        }));
        Ok(RunningService {
            name,
            addr,
            provider,
            task,
        })
    }

    fn url(&self) -> reqwest::Url {
        // An IP address and a port always make a valid URL.
        let mut url = reqwest::Url::parse("http://127.0.0.1").unwrap_or_else(|_| unreachable!());
        let _ = url.set_ip_host(self.addr.ip());
        let _ = url.set_port(Some(self.addr.port()));
        url
    }

    async fn flush(&self) -> Result<(), PairError> {
        let provider = self.provider.clone();
        let flushed = match tokio::task::spawn_blocking(move || provider.force_flush()).await {
            Ok(flushed) => flushed.map_err(BoxError::from),
            Err(joined) => Err(joined.into()),
        };
        flushed.map_err(|source| PairError::Flush {
            service: self.name,
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::{convert::Infallible, error::Error as _};

    use super::*;

    #[tokio::test]
    async fn a_port_in_use_is_named_with_its_cause() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = taken.local_addr().expect("addr").port();
        let config = PairConfig {
            payment_port: port,
            ..PairConfig::default()
        };
        let started = ServicePair::start(config, |service| {
            Ok::<_, Infallible>(
                telemetry::base_builder(&ServiceTracing::Off.otel_config(service)).build(),
            )
        })
        .await;
        let Err(error) = started else {
            panic!("started on a port in use")
        };
        assert_eq!(
            error.to_string(),
            format!("payment-service cannot listen on 127.0.0.1:{port}")
        );
        let cause = error.source().and_then(|s| s.downcast_ref::<io::Error>());
        assert_eq!(
            cause.map(io::Error::kind),
            Some(io::ErrorKind::AddrInUse),
            "{error:?}"
        );
    }
}
