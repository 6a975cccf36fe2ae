//! `harness run --keep-traces DIR`: the embedded store's traces of a failing
//! run written as OTLP JSON before the store goes away, in files Jaeger (or
//! any OTLP/HTTP receiver) takes as they are.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::HarnessError;

/// Traces per file: keeps a file under the usual 20 MiB OTLP/HTTP body limit.
pub(crate) const TRACES_PER_FILE: usize = 500;

/// What was kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptTraces {
    /// The files written, each one OTLP `ExportTraceServiceRequest` in JSON.
    pub files: Vec<PathBuf>,
    /// Traces written.
    pub traces: u64,
    /// Spans written.
    pub spans: u64,
}

impl KeptTraces {
    /// How to load the files into Jaeger.
    pub fn instructions(&self) -> String {
        let dir = self
            .files
            .first()
            .and_then(|f| f.parent())
            .map_or_else(|| ".".to_owned(), |d| d.display().to_string());
        format!(
            "kept {} traces ({} spans) in {} file(s) of OTLP JSON under {dir}; to look at them in Jaeger:\n  \
             docker run --rm -d --name jaeger -p 16686:16686 -p 4318:4318 jaegertracing/jaeger:latest\n  \
             for f in {dir}/traces-*.json; do curl -sS -X POST -H 'Content-Type: application/json' --data-binary @\"$f\" http://127.0.0.1:4318/v1/traces; done\n  \
             then open http://127.0.0.1:16686/trace/<trace id> (the ids are in the report)\n",
            self.traces,
            self.spans,
            self.files.len()
        )
    }
}

/// Fetches each trace from the store's `/api/v3/traces/{id}` and writes them
/// to `dir/traces-NNN.json`, [`TRACES_PER_FILE`] a file.
pub(crate) async fn keep_traces(
    query_url: &str,
    trace_ids: &[String],
    dir: &Path,
) -> Result<KeptTraces, HarnessError> {
    let io = |what: &Path, source: std::io::Error| HarnessError::File {
        what: "--keep-traces",
        path: what.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let client = reqwest::Client::new();
    let base = query_url.trim_end_matches('/');
    let mut kept = KeptTraces {
        files: Vec::new(),
        traces: 0,
        spans: 0,
    };
    for (n, chunk) in trace_ids.chunks(TRACES_PER_FILE).enumerate() {
        let mut resource_spans: Vec<Value> = Vec::new();
        for id in chunk {
            let url = format!("{base}/api/v3/traces/{id}");
            let failed = |source| HarnessError::KeepTraces {
                url: url.clone(),
                source,
            };
            let answer = client.get(&url).send().await.map_err(failed)?;
            if answer.status() == reqwest::StatusCode::NOT_FOUND {
                continue; // a sampled request whose trace never came
            }
            let body: Value = answer
                .error_for_status()
                .map_err(failed)?
                .json()
                .await
                .map_err(failed)?;
            let Some(Value::Array(list)) = body.pointer("/result/resourceSpans").cloned() else {
                continue;
            };
            kept.traces += 1;
            kept.spans += list
                .iter()
                .flat_map(|rs| rs["scopeSpans"].as_array().into_iter().flatten())
                .map(|ss| ss["spans"].as_array().map_or(0, Vec::len) as u64)
                .sum::<u64>();
            resource_spans.extend(list);
        }
        let path = dir.join(format!("traces-{n:03}.json"));
        let text = serde_json::json!({ "resourceSpans": resource_spans }).to_string();
        std::fs::write(&path, text).map_err(|e| io(&path, e))?;
        kept.files.push(path);
    }
    Ok(kept)
}
