//! The critical path on hand-built trees.

use super::*;
use crate::model::{Span, SpanKind, TraceId};

/// A span `id` under `parent` from `start` to `end` (ns).
fn span(id: u64, parent: Option<u64>, start: u64, end: u64) -> Span {
    let name = format!("s{id}");
    crate::check::tests::span(id, parent, "svc", SpanKind::Internal, &name, start, end)
}

fn trace(spans: Vec<Span>) -> Trace {
    Trace {
        trace_id: TraceId(1),
        spans,
        warnings: Vec::new(),
    }
}

/// The path as (span id, start, end).
fn path(trace: &Trace, analysis: &PathAnalysis) -> Vec<(u64, u64, u64)> {
    analysis
        .sections
        .iter()
        .map(|s| (trace.spans[s.span].span_id.0, s.start_ns, s.end_ns))
        .collect()
}

fn critical(trace: &Trace, analysis: &PathAnalysis, id: u64) -> u64 {
    let i = trace.spans.iter().position(|s| s.span_id.0 == id).unwrap();
    analysis.critical_ns[i]
}

fn self_time(trace: &Trace, analysis: &PathAnalysis, id: u64) -> u64 {
    let i = trace.spans.iter().position(|s| s.span_id.0 == id).unwrap();
    analysis.self_ns[i]
}

fn dominant(trace: &Trace, analysis: &PathAnalysis) -> u64 {
    trace.spans[analysis.dominant().unwrap()].span_id.0
}

#[test]
fn sequential_children_are_all_on_the_path() {
    // root |0--------------------100|
    //   a     |10--40|
    //   b            |40------90|
    let t = trace(vec![
        span(1, None, 0, 100),
        span(3, Some(1), 40, 90),
        span(2, Some(1), 10, 40),
    ]);
    let a = analyse(&t);
    assert_eq!(
        path(&t, &a),
        vec![(1, 0, 10), (2, 10, 40), (3, 40, 90), (1, 90, 100)]
    );
    assert_eq!(a.total_ns(), 100);
    assert_eq!(critical(&t, &a, 1), 20);
    assert_eq!(self_time(&t, &a, 1), 20);
    assert_eq!(dominant(&t, &a), 3);
}

#[test]
fn a_parallel_child_that_finished_earlier_did_not_block() {
    // root |0--------------------100|
    //   a     |10---------------90|
    //   b        |20---60|
    let t = trace(vec![
        span(1, None, 0, 100),
        span(2, Some(1), 10, 90),
        span(3, Some(1), 20, 60),
    ]);
    let a = analyse(&t);
    assert_eq!(path(&t, &a), vec![(1, 0, 10), (2, 10, 90), (1, 90, 100)]);
    assert_eq!(critical(&t, &a, 3), 0, "b ran in parallel, under a");
    assert_eq!(self_time(&t, &a, 3), 40);
    assert_eq!(self_time(&t, &a, 1), 20, "the union of a and b covers 80");
    assert_eq!(dominant(&t, &a), 2);
}

#[test]
fn of_parallel_children_the_walk_takes_the_one_done_before_the_next_started() {
    // root |0------------------------100|
    //   a    |5----30|
    //   b       |10-------50|
    //   c                     |60---95|
    // Back from c (start 60) both a and b ended before; b ended last.
    let t = trace(vec![
        span(1, None, 0, 100),
        span(2, Some(1), 5, 30),
        span(3, Some(1), 10, 50),
        span(4, Some(1), 60, 95),
    ]);
    let a = analyse(&t);
    assert_eq!(
        path(&t, &a),
        vec![
            (1, 0, 10),
            (3, 10, 50),
            (1, 50, 60),
            (4, 60, 95),
            (1, 95, 100)
        ]
    );
    assert_eq!(critical(&t, &a, 2), 0);
}

#[test]
fn a_child_outliving_its_parent_counts_only_until_the_parent_ended() {
    // root   |0---------------------100|
    //  server  |10----------80|
    //   save          |50-----------------120|
    let t = trace(vec![
        span(1, None, 0, 100),
        span(2, Some(1), 10, 80),
        span(3, Some(2), 50, 120),
    ]);
    let a = analyse(&t);
    assert_eq!(
        path(&t, &a),
        vec![(1, 0, 10), (2, 10, 50), (3, 50, 80), (1, 80, 100)]
    );
    assert_eq!(critical(&t, &a, 3), 30);
    assert_eq!(self_time(&t, &a, 3), 30, "clipped to its parent");
    assert_eq!(dominant(&t, &a), 2);
    assert_eq!(a.total_ns(), 100);
}

#[test]
fn async_gaps_between_children_belong_to_the_parent() {
    // root |0----------------------------100|
    //   a     |10-20|
    //   b                 |60-70|
    let t = trace(vec![
        span(1, None, 0, 100),
        span(2, Some(1), 10, 20),
        span(3, Some(1), 60, 70),
    ]);
    let a = analyse(&t);
    assert_eq!(
        path(&t, &a),
        vec![
            (1, 0, 10),
            (2, 10, 20),
            (1, 20, 60),
            (3, 60, 70),
            (1, 70, 100)
        ]
    );
    assert_eq!(critical(&t, &a, 1), 80);
    assert_eq!(self_time(&t, &a, 1), 80);
    assert_eq!(dominant(&t, &a), 1, "the root's own waiting dominated");
}

#[test]
fn a_child_wholly_outside_its_parent_is_dropped_with_its_subtree() {
    let t = trace(vec![
        span(1, None, 0, 100),
        span(2, Some(1), 150, 200),
        span(3, Some(2), 160, 170),
    ]);
    let a = analyse(&t);
    assert_eq!(path(&t, &a), vec![(1, 0, 100)]);
    assert_eq!(self_time(&t, &a, 1), 100);
    assert_eq!(
        self_time(&t, &a, 2),
        50,
        "outside the tree: its own duration"
    );
}

#[test]
fn the_path_descends_across_levels_and_services() {
    // The valid-order tree of the contract, with payment the slow part.
    // loadgen      |0---------------------------------1000|
    //  server        |10-----------------------------990|
    //   validate       |20-40|
    //   client               |50-------------900|
    //    p-server              |60----------890|
    //     fraud                  |70-100|
    //     charge                        |110-880|
    //   save                                       |910-980|
    let t = trace(vec![
        span(1, None, 0, 1000),
        span(2, Some(1), 10, 990),
        span(3, Some(2), 20, 40),
        span(4, Some(2), 50, 900),
        span(5, Some(4), 60, 890),
        span(6, Some(5), 70, 100),
        span(7, Some(5), 110, 880),
        span(8, Some(2), 910, 980),
    ]);
    let a = analyse(&t);
    assert_eq!(a.total_ns(), 1000);
    assert_eq!(dominant(&t, &a), 7);
    assert_eq!(critical(&t, &a, 7), 770);
    assert_eq!(
        path(&t, &a).iter().map(|s| s.0).collect::<Vec<_>>(),
        vec![1, 2, 3, 2, 4, 5, 6, 5, 7, 5, 4, 2, 8, 2, 1]
    );
}

#[test]
fn an_empty_trace_and_a_parent_cycle_end_the_walk() {
    let empty = trace(Vec::new());
    assert_eq!(analyse(&empty), PathAnalysis::default());
    // 2 and 3 are each other's parent: unreachable from the root.
    let t = trace(vec![
        span(1, None, 0, 100),
        span(2, Some(3), 10, 20),
        span(3, Some(2), 10, 20),
    ]);
    let a = analyse(&t);
    assert_eq!(path(&t, &a), vec![(1, 0, 100)]);
}
