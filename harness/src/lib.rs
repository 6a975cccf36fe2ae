//! The one-command main job.
//!
//! `harness run` starts tracestore and both services in this process on free
//! ports ([`RunningStack`]), drives them with the loadgen, flushes the services'
//! spans, runs the verifier with the loadgen's manifest and prints one report
//! ([`JobReport`]): the load figures and the verification result. `harness up`
//! starts the same stack on the default ports and stays up for loadgen and
//! verifier by hand. `harness overhead` measures what tracing costs the
//! whole system. The binary is [`Cli`] parsed and handed to [`execute`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), harness::HarnessError> {
//! use harness::{JobConfig, run_job};
//! # let config: JobConfig = todo!();
//! let report = run_job(config, std::future::pending()).await?;
//! println!("{report}");
//! std::process::exit(report.exit_code().into());
//! # }
//! ```

mod cli;
mod error;
mod html;
mod job;
mod keep;
mod overhead;
mod report;
mod stack;
mod timeline;

pub use cli::{Cli, execute};
pub use error::HarnessError;
pub use html::FAILING_DRAWN;
pub use job::{Backend, JobConfig, run_job};
pub use keep::KeptTraces;
pub use report::JobReport;
pub use stack::{Ports, RunningStack, StackConfig};
pub use timeline::TimelineSecond;
