//! The achieved rate against the intended one. Alone in its test binary
//! (cargo runs test binaries one after another), so no other test of this
//! crate competes for the CPU while it measures.

mod common;

use std::{future::pending, time::Duration};

use common::{Behaviour, TestTarget};
use loadgen::read_manifest;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn achieved_rate_matches_the_schedule_at_200_and_2000_rps() {
    let target = TestTarget::start(Behaviour::default()).await;
    for (rps, seconds) in [(200.0, 2), (2000.0, 2)] {
        let mut config = target.config(rps, 0);
        config.requests = None;
        config.duration = Some(Duration::from_secs(seconds));
        // GET /health: the cheapest request for the debug-built target that
        // shares the CPU with the generator under test.
        config.mix = Some("health=1".parse().unwrap());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.jsonl");
        config.manifest = Some(path.clone());
        let report = loadgen::run(config, pending()).await.unwrap();
        let manifest = read_manifest(&path).unwrap();
        let expected = (rps as u64) * seconds;
        assert_eq!(
            report.schedule.sent, expected,
            "every slot of the duration is sent"
        );
        assert_eq!(manifest.len() as u64, expected);
        let achieved = report.schedule.achieved_rps;
        assert!(
            (achieved - rps).abs() / rps < 0.01,
            "achieved {achieved} rps for {rps}: {report}"
        );
        // The intended starts are the fixed open-loop schedule.
        let mut intended: Vec<u64> = manifest.iter().map(|r| r.intended_start_us).collect();
        intended.sort_unstable();
        let step = 1e6 / rps;
        for (k, t) in intended.iter().enumerate() {
            let offset = (t - intended[0]) as f64;
            assert!(
                (offset - k as f64 * step).abs() <= 2.0,
                "slot {k} at {offset} µs"
            );
        }
        assert_eq!(report.overall.ok, expected, "{report}");
    }
    assert_eq!(target.count(), 400 + 4000);

    // Stages: 200 rps flat, a 1 s ramp to 2,000, 2,000 flat; the achieved
    // rate of each stage within 1% of its intended rate.
    let mut config = target.config(200.0, 0);
    config.requests = None;
    config.stages = loadgen::parse_stages("2s:200,1s:2000,2s:2000").unwrap();
    config.mix = Some("health=1".parse().unwrap());
    let report = loadgen::run(config, pending()).await.unwrap();
    let stages: Vec<(f64, u64)> = report
        .stages
        .iter()
        .map(|s| (s.intended_rps, s.intended))
        .collect();
    assert_eq!(
        stages,
        [(200.0, 400), (1100.0, 1100), (2000.0, 4000)],
        "{report}"
    );
    for (i, st) in report.stages.iter().enumerate() {
        assert!(
            (st.achieved_rps - st.intended_rps).abs() / st.intended_rps < 0.01,
            "stage {}: achieved {} rps for {}: {report}",
            i + 1,
            st.achieved_rps,
            st.intended_rps
        );
    }
    assert_eq!(report.schedule.sent, 5500);
    assert_eq!(report.overall.ok, 5500, "{report}");
    assert!(
        report
            .to_string()
            .contains("stage 3: 3s-5s 2000->2000 rps: intended 2000.0 rps (4000), achieved"),
        "{report}"
    );
}
