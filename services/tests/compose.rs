//! docker-compose.yml (no Docker engine here): the ports, endpoints and
//! images it relies on agree with each other, with the Dockerfile and with
//! the binaries' defaults.

use std::{net::SocketAddr, path::PathBuf};

use reqwest::Url;
use serde_yaml_ng::Value;
use services::{order_api, payment_service};

fn repo_file(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn compose() -> Value {
    serde_yaml_ng::from_str(&repo_file("docker-compose.yml")).expect("docker-compose.yml parses")
}

fn service<'a>(compose: &'a Value, name: &str) -> &'a Value {
    compose["services"]
        .get(name)
        .unwrap_or_else(|| panic!("service {name} in docker-compose.yml"))
}

/// Published `host:container` port pairs.
fn ports(service: &Value) -> Vec<(u16, u16)> {
    service["ports"]
        .as_sequence()
        .expect("ports list")
        .iter()
        .map(|p| {
            let text = p.as_str().expect("ports as quoted strings");
            let (host, container) = text.split_once(':').expect("host:container");
            (host.parse().unwrap(), container.parse().unwrap())
        })
        .collect()
}

fn command(service: &Value) -> Vec<String> {
    service["command"]
        .as_sequence()
        .expect("command as a list")
        .iter()
        .map(|a| a.as_str().expect("string argument").to_owned())
        .collect()
}

/// The value following `flag` in a command.
fn flag<'a>(command: &'a [String], flag: &str) -> &'a str {
    let at = command
        .iter()
        .position(|a| a == flag)
        .unwrap_or_else(|| panic!("{flag} in {command:?}"));
    &command[at + 1]
}

fn env<'a>(service: &'a Value, key: &str) -> &'a str {
    service["environment"][key]
        .as_str()
        .unwrap_or_else(|| panic!("environment {key}"))
}

fn default_port(listen: &str) -> u16 {
    listen.parse::<SocketAddr>().unwrap().port()
}

/// The port a service's `--listen` flag binds, which must be published as is.
fn listen_port(service: &Value) -> u16 {
    let listen: SocketAddr = flag(&command(service), "--listen").parse().unwrap();
    assert!(
        listen.ip().is_unspecified(),
        "a container listens on all interfaces: {listen}"
    );
    listen.port()
}

#[test]
fn jaeger_is_a_current_v2_image_with_otlp_and_query_ports_published() {
    let compose = compose();
    let jaeger = service(&compose, "jaeger");
    let image = jaeger["image"].as_str().unwrap();
    let tag = image
        .strip_prefix("jaegertracing/jaeger:")
        .expect("the jaegertracing/jaeger image");
    let version = tag
        .strip_prefix("${JAEGER_VERSION:-")
        .and_then(|t| t.strip_suffix('}'))
        .unwrap_or(tag);
    assert!(version.starts_with("2."), "a Jaeger v2 version: {version}");
    assert_ne!(tag, version, "JAEGER_VERSION overrides the default: {tag}");
    let minor: u32 = version
        .split('.')
        .nth(1)
        .and_then(|m| m.parse().ok())
        .unwrap_or_else(|| panic!("a 2.x.y version: {version}"));
    assert!(
        minor > 20,
        "a release after v2.20.0 (v3 search API only) by default: {version}"
    );
    let ports = ports(jaeger);
    for port in [4317, 4318, 16686] {
        assert!(
            ports.contains(&(port, port)),
            "jaeger publishes {port}: {ports:?}"
        );
    }
}

#[test]
fn services_publish_the_ports_they_listen_on_which_are_the_binaries_defaults() {
    let compose = compose();
    for (name, default_listen) in [
        ("order-api", order_api::DEFAULT_LISTEN),
        ("payment-service", payment_service::DEFAULT_LISTEN),
    ] {
        let svc = service(&compose, name);
        let port = listen_port(svc);
        assert_eq!(
            port,
            default_port(default_listen),
            "{name} keeps its default port"
        );
        assert_eq!(
            ports(svc),
            vec![(port, port)],
            "{name} publishes its port on the host"
        );
        assert_eq!(command(svc)[0], name, "{name} runs its own binary");
    }
}

#[test]
fn order_api_reaches_payment_service_by_its_service_name_and_port() {
    let compose = compose();
    let order = service(&compose, "order-api");
    let url = Url::parse(flag(&command(order), "--payment-url")).unwrap();
    let host = url.host_str().unwrap();
    let payment = service(&compose, host);
    assert_eq!(url.port(), Some(listen_port(payment)));
    let timeout = humantime::parse_duration(flag(&command(order), "--payment-timeout")).unwrap();
    assert!(!timeout.is_zero());
    assert!(
        order["depends_on"].get(host).is_some(),
        "order-api starts after {host}"
    );
}

#[test]
fn both_services_export_otlp_grpc_to_jaeger() {
    let compose = compose();
    let jaeger_ports: Vec<u16> = ports(service(&compose, "jaeger"))
        .iter()
        .map(|p| p.1)
        .collect();
    for name in ["order-api", "payment-service"] {
        let svc = service(&compose, name);
        let endpoint = Url::parse(env(svc, "OTEL_EXPORTER_OTLP_ENDPOINT")).unwrap();
        let protocol: telemetry::Protocol =
            env(svc, "OTEL_EXPORTER_OTLP_PROTOCOL").parse().unwrap();
        let default = Url::parse(protocol.default_endpoint()).unwrap();
        assert_eq!(
            endpoint.host_str(),
            Some("jaeger"),
            "{name} exports to the jaeger service"
        );
        assert_eq!(
            endpoint.port(),
            default.port(),
            "{name}: port of {protocol}"
        );
        assert!(jaeger_ports.contains(&endpoint.port().unwrap()));
        let sampler = telemetry::SamplerConfig::parse(
            env(svc, "OTEL_TRACES_SAMPLER"),
            Some(env(svc, "OTEL_TRACES_SAMPLER_ARG")),
        )
        .unwrap();
        assert_eq!(
            sampler,
            services::cli::DEFAULT_SAMPLER,
            "{name}: the caller decides"
        );
        assert_eq!(
            env(svc, "FAULTS"),
            "${FAULTS:-}",
            "{name}: faults off unless asked"
        );
    }
}

#[test]
fn both_services_build_from_the_root_dockerfile_which_builds_both_binaries() {
    let compose = compose();
    let dockerfile = repo_file("Dockerfile");
    let mut images = Vec::new();
    for name in ["order-api", "payment-service"] {
        let svc = service(&compose, name);
        assert_eq!(svc["build"]["context"].as_str(), Some("."));
        assert_eq!(svc["build"]["dockerfile"].as_str(), Some("Dockerfile"));
        images.push(svc["image"].as_str().unwrap().to_owned());
        assert!(
            dockerfile.contains(&format!("--bin {name}")),
            "Dockerfile builds {name}"
        );
        assert!(
            dockerfile.contains(&format!("target/release/{name}")),
            "Dockerfile installs {name}"
        );
    }
    assert_eq!(images[0], images[1], "one image for both");
    // The binaries the image runs are this package's.
    for bin in [
        env!("CARGO_BIN_EXE_order-api"),
        env!("CARGO_BIN_EXE_payment-service"),
    ] {
        assert!(PathBuf::from(bin).exists(), "{bin}");
    }
}
