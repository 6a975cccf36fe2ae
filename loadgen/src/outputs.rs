//! Where finished requests go: the statistics (sharded so connections
//! rarely contend for a lock), the manifest and the CLIENT span exporter.
//! Written by the connections during the run, read once at its end.

use parking_lot::Mutex;

use crate::{client_span::ClientSpanExporter, manifest::ManifestWriter, stats::Stats};

/// The outputs of one run.
#[derive(Debug)]
pub(crate) struct RunOutputs {
    /// Statistics shards; connection `i` records into shard `i % len`.
    stats: Box<[Mutex<Stats>]>,
    /// `--manifest`: one line per finished request.
    pub(crate) manifest: Option<ManifestWriter>,
    /// The CLIENT spans of sampled requests, when root spans are on.
    pub(crate) spans: Option<ClientSpanExporter>,
}

impl RunOutputs {
    /// Empty statistics in `stat_shards` shards (at least one) of
    /// `scenarios` scenarios each.
    pub(crate) fn new(
        stat_shards: usize,
        scenarios: usize,
        manifest: Option<ManifestWriter>,
        spans: Option<ClientSpanExporter>,
    ) -> RunOutputs {
        RunOutputs {
            stats: (0..stat_shards.max(1))
                .map(|_| Mutex::new(Stats::new(scenarios)))
                .collect(),
            manifest,
            spans,
        }
    }

    /// The statistics shard of connection `connection`.
    pub(crate) fn stats_of(&self, connection: usize) -> &Mutex<Stats> {
        &self.stats[connection % self.stats.len()]
    }

    /// Every shard's statistics added up.
    pub(crate) fn merged_stats(&self, scenarios: usize) -> Stats {
        let mut stats = Stats::new(scenarios);
        for shard in self.stats.iter() {
            crate::stats::add(&mut stats, &shard.lock());
        }
        stats
    }
}
