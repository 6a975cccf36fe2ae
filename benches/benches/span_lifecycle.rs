//! Start + end one span with four attributes and an event, under each tracer
//! setup: what a span costs on the request thread (wall time), and (the
//! `+export` ids) what it costs the whole process including its export to
//! the sink (CPU time of every thread).

use benches::{
    env::BenchEnv,
    setups::{BenchTracer, Setup},
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn span_lifecycle(c: &mut Criterion) {
    let env = BenchEnv::start().expect("start the bench sink");
    let mut group = c.benchmark_group("span_lifecycle");
    group.throughput(Throughput::Elements(1));
    for setup in Setup::ALL {
        let tracer = BenchTracer::build(setup, &env).expect("build the tracer");
        group.bench_function(setup.name(), |b| {
            b.iter_custom(|iters| tracer.time_spans(iters).expect("record spans"))
        });
        if matches!(
            setup,
            Setup::BatchGrpc | Setup::BatchHttp | Setup::BatchGrpcOtel | Setup::BatchHttpOtel
        ) {
            group.bench_function(format!("{}+export", setup.name()), |b| {
                b.iter_custom(|iters| {
                    tracer
                        .cpu_time_spans_with_export(iters)
                        .expect("record and export spans")
                })
            });
        }
        tracer.shutdown(&env).expect("shut the tracer down");
    }
    group.finish();
    assert!(
        env.spans_received() > 0,
        "the exporting setups delivered no span to the sink"
    );
}

criterion_group!(benches, span_lifecycle);
criterion_main!(benches);
