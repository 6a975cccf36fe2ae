//! Go's renderings and parsers, emulated.
//!
//! Jaeger is written in Go, and its answers carry Go's renderings: float
//! formatting of `encoding/json`, `time.Duration.String()`,
//! `time.Time.String()`, and the error texts of `strconv`, `time.Parse` and
//! `time.ParseDuration`. To give byte-identical bodies, this module
//! reimplements the parts the query API and the ingest sanitizers need, one
//! file per Go package: [`strconv`], [`time`], [`url`].

pub(crate) mod strconv;
pub(crate) mod time;
pub(crate) mod url;
