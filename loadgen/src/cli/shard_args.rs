//! Which share of the load this instance sends: `--shard i/n`, or
//! `--shard-count n` with the index from a Kubernetes Indexed Job.

use clap::Args;

use crate::config::Shard;

/// The variable a Kubernetes Indexed Job sets in each pod to its index,
/// `0..completions` (also the pod's annotation
/// `batch.kubernetes.io/job-completion-index`).
pub const JOB_INDEX_VAR: &str = "JOB_COMPLETION_INDEX";

/// The sharding flags.
#[derive(Debug, Clone, Args)]
pub struct ShardArgs {
    /// This instance's share, i/n: every n-th slot of the schedule from slot i,
    /// and its own stream of trace ids (default 0/1).
    #[arg(long, value_parser = str::parse::<Shard>, conflicts_with = "shard_count")]
    pub shard: Option<Shard>,
    /// How many instances share the load, this one's index taken from
    /// JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job, whose
    /// completions must equal N).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub shard_count: Option<u32>,
}

impl ShardArgs {
    /// The shard these flags name; `job_index` is the value of
    /// [`JOB_INDEX_VAR`], if set. `--shard` wins; `--shard-count` needs the
    /// index; an index without either flag is refused, since every pod of
    /// the Job would then send the whole load.
    pub fn shard(&self, job_index: Option<&str>) -> Result<Shard, ShardError> {
        let job_index = job_index.map(str::trim).filter(|v| !v.is_empty());
        match (self.shard, self.shard_count, job_index) {
            (Some(shard), _, _) => Ok(shard),
            (None, Some(count), Some(index)) => {
                let index: u32 = index.parse().map_err(|_| ShardError::NotANumber {
                    index: index.to_owned(),
                    count,
                })?;
                if index >= count {
                    return Err(ShardError::NotBelowCount { index, count });
                }
                Ok(Shard { index, count })
            }
            (None, Some(count), None) => Err(ShardError::NoIndex(count)),
            (None, None, Some(index)) if index != "0" => {
                Err(ShardError::NoShardFlag(index.to_owned()))
            }
            (None, None, _) => Ok(Shard::default()),
        }
    }
}

/// Sharding flags and [`JOB_INDEX_VAR`] that do not name one share.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    /// The index is not a whole number.
    #[error("{JOB_INDEX_VAR}={index:?} is not a whole number (for --shard-count {count})")]
    NotANumber {
        /// The variable's value.
        index: String,
        /// `--shard-count`.
        count: u32,
    },
    /// The index is not below the count.
    #[error(
        "{JOB_INDEX_VAR}={index} is not below --shard-count {count}: \
         the Job's completions must equal --shard-count"
    )]
    NotBelowCount {
        /// The variable's value.
        index: u32,
        /// `--shard-count`.
        count: u32,
    },
    /// `--shard-count` without the variable.
    #[error(
        "--shard-count {0} takes this instance's index from {JOB_INDEX_VAR} \
         (set by a Kubernetes Indexed Job), which is not set; use --shard i/{0}"
    )]
    NoIndex(u32),
    /// The variable without a sharding flag.
    #[error(
        "{JOB_INDEX_VAR}={0} is set (an Indexed Job) but neither --shard nor \
         --shard-count: every pod would send the whole load; add --shard-count N"
    )]
    NoShardFlag(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(shard: Option<&str>, shard_count: Option<u32>) -> ShardArgs {
        ShardArgs {
            shard: shard.map(|s| s.parse().unwrap()),
            shard_count,
        }
    }

    #[test]
    fn the_index_comes_from_the_job_when_only_the_count_is_given() {
        let shard = |index| Shard { index, count: 4 };
        assert_eq!(args(None, Some(4)).shard(Some("3")), Ok(shard(3)));
        assert_eq!(args(None, Some(4)).shard(Some(" 0 ")), Ok(shard(0)));
        assert_eq!(args(Some("1/4"), None).shard(Some("3")), Ok(shard(1)));
        assert_eq!(args(None, None).shard(None), Ok(Shard::default()));
        assert_eq!(args(None, None).shard(Some("0")), Ok(Shard::default()));
    }

    #[test]
    fn a_missing_or_bad_index_names_the_variable_and_the_flag() {
        for (args, index, needles) in [
            (
                args(None, Some(4)),
                None,
                &["--shard-count 4", JOB_INDEX_VAR][..],
            ),
            (
                args(None, Some(4)),
                Some("4"),
                &["not below --shard-count 4"][..],
            ),
            (
                args(None, Some(4)),
                Some("x"),
                &["\"x\" is not a whole number"][..],
            ),
            (args(None, Some(4)), Some("-1"), &["not a whole number"][..]),
            (
                args(None, None),
                Some("2"),
                &["--shard-count N", "whole load"][..],
            ),
        ] {
            let err = args.shard(index).unwrap_err().to_string();
            for needle in needles {
                assert!(err.contains(needle), "{index:?}: {err}");
            }
            assert!(!err.contains('\n'), "{err}");
        }
    }
}
