//! One request of each shipped order scenario (valid, invalid, fraud)
//! through order-api's handler chain (and the payment service over
//! loopback) with tracing off, at sampler 0.1 and at sampler 1.0. The figure
//! is the CPU time of the whole process per order, the export of its spans
//! included (each sample ends with a flush): what a request costs the
//! machine, which wall time would understate, since the spans are encoded
//! and sent on other threads.

use benches::{
    cpu::process_cpu_time,
    env::BenchEnv,
    orders::{OrderBench, TRACING, order_requests, tracing_name},
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn per_request(c: &mut Criterion) {
    let env = BenchEnv::start().expect("start the bench sink");
    let mut group = c.benchmark_group("per_request");
    group.throughput(Throughput::Elements(1));
    let requests = order_requests();
    for tracing in TRACING {
        let stack = OrderBench::start(&env, tracing).expect("start the services");
        for (scenario, request) in &requests {
            let id = format!("{}/{}", scenario.name(), tracing_name(tracing));
            group.bench_function(id, |b| {
                b.to_async(env.runtime()).iter_custom(|iters| {
                    let stack = &stack;
                    async move {
                        let start = process_cpu_time();
                        for _ in 0..iters {
                            stack.send(scenario, request).await.expect("order");
                        }
                        stack.flush().await.expect("flush the spans");
                        process_cpu_time().saturating_sub(start)
                    }
                })
            });
        }
        stack.shutdown(&env).expect("stop the services");
    }
    group.finish();
}

criterion_group!(benches, per_request);
criterion_main!(benches);
