//! The periodic chores of a running load: the progress line (on stdout,
//! shown only when it is a terminal) and flushing the manifest so a reader
//! tailing it sees lines as they come.

use std::{sync::Arc, time::Duration};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::worker::RunState;

const TICK: Duration = Duration::from_millis(250);

/// How far along a run is measured.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Extent {
    /// A timed run: elapsed milliseconds of this many.
    Millis(u64),
    /// A counted run: requests finished of this many.
    Requests(u64),
}

/// A progress line on stdout; hidden when stdout is not a terminal.
pub(crate) fn progress_bar(extent: Extent) -> ProgressBar {
    let len = match extent {
        Extent::Millis(ms) => ms,
        Extent::Requests(n) => n,
    };
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stdout());
    let template = match extent {
        Extent::Millis(_) => "{elapsed_precise} [{bar:30}] {percent:>3}% {msg}",
        Extent::Requests(_) => "{elapsed_precise} [{bar:30}] {pos}/{len} {msg}",
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Updates `bar` and flushes the manifest every tick until aborted.
pub(crate) async fn tick(state: Arc<RunState>, bar: Option<ProgressBar>, extent: Extent) {
    let mut interval = tokio::time::interval(TICK);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        if let Some(manifest) = &state.outputs.manifest {
            manifest.flush();
        }
        let Some(bar) = &bar else { continue };
        let (started, completed, failed) = state.counters.live.snapshot();
        let elapsed = state.settings.clock.base().elapsed();
        bar.set_position(match extent {
            Extent::Millis(ms) => (elapsed.as_millis() as u64).min(ms),
            Extent::Requests(_) => completed,
        });
        let rate = started as f64 / elapsed.as_secs_f64().max(1e-3);
        bar.set_message(format!(
            "sent {started} ({rate:.0}/s), in flight {}, failed {failed}",
            started.saturating_sub(completed)
        ));
    }
}
