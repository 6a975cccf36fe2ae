//! Span-start bounds of blocks of consecutive creation sequence numbers, so
//! that a search of a time window skips the blocks none of whose traces can
//! start in it. Without them every search walked the shard from its newest
//! trace until it found its limit: a soak's verifier, searching window
//! after window of hundreds of thousands of traces, spent most of the
//! store's CPU passing over traces of other windows.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;

/// Sequence numbers a block spans (`1 << SHIFT`): about 128 traces of each
/// of the 32 shards, so a block's bounds stay close to its traces' while a
/// store of a million traces has a few hundred blocks a shard.
const SHIFT: u32 = 12;

/// The earliest and latest span start of the traces each block has held
/// (ns since the epoch). Bounds only widen (a trace gaining spans widens
/// its block; an evicted one leaves it as wide), so a block outside a
/// window surely holds no trace that starts in it.
#[derive(Debug, Default)]
pub(super) struct TimeBlocks(BTreeMap<u64, (i64, i64)>);

impl TimeBlocks {
    /// Widens the block of `seq` to a trace's span starts.
    pub(super) fn note(&mut self, seq: u64, min_start: i64, max_start: i64) {
        let bounds = self.0.entry(seq >> SHIFT).or_insert((min_start, max_start));
        bounds.0 = bounds.0.min(min_start);
        bounds.1 = bounds.1.max(max_start);
    }

    /// Forgets the blocks wholly older than `oldest`, the shard's oldest
    /// trace left after evictions.
    pub(super) fn forget_before(&mut self, oldest: u64) {
        let first_kept = oldest >> SHIFT;
        while let Some(entry) = self.0.first_entry() {
            if *entry.key() >= first_kept {
                break;
            }
            entry.remove();
        }
    }

    /// The sequence ranges, newest first, whose traces may have a span
    /// starting within `[min, max]` (an absent bound is open).
    pub(super) fn ranges(
        &self,
        min: Option<i64>,
        max: Option<i64>,
    ) -> impl Iterator<Item = RangeInclusive<u64>> + '_ {
        self.0
            .iter()
            .rev()
            .filter(move |(_, (lo, hi))| {
                !(min.is_some_and(|min| *hi < min) || max.is_some_and(|max| *lo > max))
            })
            .map(|(block, _)| (block << SHIFT)..=((block << SHIFT) | ((1 << SHIFT) - 1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_outside_the_window_are_skipped_and_bounds_only_widen() {
        let mut blocks = TimeBlocks::default();
        let block = 1u64 << SHIFT;
        blocks.note(0, 100, 200);
        blocks.note(block, 300, 400);
        blocks.note(2 * block + 5, 500, 600);
        let ranges = |blocks: &TimeBlocks, min, max| {
            blocks
                .ranges(min, max)
                .map(|r| *r.start())
                .collect::<Vec<_>>()
        };
        assert_eq!(ranges(&blocks, None, None), [2 * block, block, 0]);
        assert_eq!(ranges(&blocks, Some(250), Some(450)), [block]);
        assert_eq!(ranges(&blocks, Some(450), None), [2 * block]);
        assert_eq!(ranges(&blocks, None, Some(99)), Vec::<u64>::new());
        // A later span of a trace in block 0 widens it.
        blocks.note(3, 50, 450);
        assert_eq!(ranges(&blocks, Some(420), Some(430)), [0]);
        blocks.forget_before(block + 1);
        assert_eq!(ranges(&blocks, None, None), [2 * block, block]);
        assert_eq!(
            blocks.ranges(None, None).last(),
            Some(block..=(2 * block - 1))
        );
    }
}
