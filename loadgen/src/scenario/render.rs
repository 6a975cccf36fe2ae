//! Turns a scenario into the parts of one request against the run's target.
//! What has no generator is built once (a `GET /health` costs a few
//! reference-count increments per request); the rest is rendered per
//! request from the planner's seeded generator.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Uri};
use rand::{Rng, RngCore};

use super::{Scenario, ScenarioError, ScenarioSet, template::Template};
use crate::config::Target;

/// The parts of one request that its scenario decides.
#[derive(Debug, Clone)]
pub(crate) struct Rendered {
    pub(crate) uri: Uri,
    /// `url.full` of the CLIENT span.
    pub(crate) url_full: Arc<str>,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) body: Bytes,
}

/// One scenario ready to render against the target.
#[derive(Debug)]
struct Prepared {
    /// Set when the path has no generator.
    fixed_path: Option<(Uri, Arc<str>)>,
    path: Template,
    fixed_headers: Vec<(HeaderName, HeaderValue)>,
    templated_headers: Vec<(HeaderName, Template)>,
    /// Bodies without a generator, pre-built, by position.
    bodies: Vec<Result<Bytes, Template>>,
}

/// Renders the requests of every scenario of a run.
#[derive(Debug)]
pub(crate) struct Renderer {
    base_path: String,
    base: String,
    scenarios: Vec<Prepared>,
}

impl Renderer {
    /// Prepares `set` for `target`; fails when a path joined to the
    /// target's base is not a valid request target.
    pub(crate) fn new(set: &ScenarioSet, target: &Target) -> Result<Renderer, ScenarioError> {
        let mut renderer = Renderer {
            base_path: target.base_path().to_owned(),
            base: target.to_string(),
            scenarios: Vec::with_capacity(set.len()),
        };
        for scenario in set.iter() {
            let prepared = renderer.prepare(scenario)?;
            renderer.scenarios.push(prepared);
        }
        Ok(renderer)
    }

    fn prepare(&self, s: &Scenario) -> Result<Prepared, ScenarioError> {
        let path_error = |path: &str, source| ScenarioError::Path {
            scenario: s.name.clone(),
            path: path.to_owned(),
            base: self.base.clone(),
            source,
        };
        let fixed_path = match s.path.as_static() {
            Some(path) => Some(self.uri(path).map_err(|e| path_error(path, e))?),
            None => {
                // Generators only add digits, dots, dashes and the checked
                // choices: one rendering shows the path's shape is valid.
                let mut sample = String::new();
                s.path.render(
                    &mut <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(0),
                    0,
                    &mut sample,
                );
                self.uri(&sample).map_err(|e| path_error(&sample, e))?;
                None
            }
        };
        let (mut fixed_headers, mut templated_headers) = (Vec::new(), Vec::new());
        for (name, template) in &s.headers {
            match template.as_static() {
                Some(v) => fixed_headers.push((
                    name.clone(),
                    HeaderValue::from_str(v).map_err(|source| ScenarioError::Header {
                        scenario: s.name.clone(),
                        source,
                    })?,
                )),
                None => templated_headers.push((name.clone(), template.clone())),
            }
        }
        let bodies = s
            .bodies
            .iter()
            .map(|b| match b.as_static() {
                Some(text) => Ok(Bytes::from(text.to_owned())),
                None => Err(b.clone()),
            })
            .collect();
        Ok(Prepared {
            fixed_path,
            path: s.path.clone(),
            fixed_headers,
            templated_headers,
            bodies,
        })
    }

    fn uri(&self, path: &str) -> Result<(Uri, Arc<str>), http::uri::InvalidUri> {
        let uri: Uri = format!("{}{path}", self.base_path).parse()?;
        Ok((uri, Arc::from(format!("{}{path}", self.base))))
    }

    /// The request parts of scenario `index` for request number `seq`.
    pub(crate) fn render(&self, index: usize, rng: &mut impl RngCore, seq: u64) -> Rendered {
        let p = &self.scenarios[index];
        let (uri, url_full) = match &p.fixed_path {
            Some((uri, full)) => (uri.clone(), full.clone()),
            None => {
                let mut path = String::new();
                p.path.render(rng, seq, &mut path);
                // Validated when the run was set up (every piece of text
                // checked, one rendering parsed); fall back to the base.
                self.uri(&path)
                    .unwrap_or_else(|_| (Uri::from_static("/"), Arc::from(self.base.as_str())))
            }
        };
        let mut headers = p.fixed_headers.clone();
        for (name, template) in &p.templated_headers {
            let mut value = String::new();
            template.render(rng, seq, &mut value);
            // Every text piece was checked as a header value when the file
            // was read; generators add only ASCII digits, `.`, `-`.
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.push((name.clone(), value));
            }
        }
        let body = match p.bodies.len() {
            0 => Bytes::new(),
            1 => body(&p.bodies[0], rng, seq),
            n => body(&p.bodies[rng.random_range(0..n)], rng, seq),
        };
        Rendered {
            uri,
            url_full,
            headers,
            body,
        }
    }
}

fn body(b: &Result<Bytes, Template>, rng: &mut impl RngCore, seq: u64) -> Bytes {
    match b {
        Ok(fixed) => fixed.clone(),
        Err(template) => {
            let mut text = String::new();
            template.render(rng, seq, &mut text);
            Bytes::from(text)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn requests_join_the_target_base_and_render_per_request() {
        let set = ScenarioSet::parse(
            "[[scenario]]\nname = \"s\"\npath = \"/items/{{seq}}?q={{choice a|b}}\"\nheaders = { x-n = \"{{int 5..5}}\", x-f = \"fixed\" }\nbody = '{\"n\":{{int 7..7}}}'\n[[scenario]]\nname = \"h\"\npath = \"/health\"\n",
            "t.toml",
            None,
        )
        .unwrap();
        let target = Target::parse("http://127.0.0.1:9/api").unwrap();
        let r = Renderer::new(&set, &target).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let one = r.render(0, &mut rng, 41);
        assert!(
            one.uri == "/api/items/41?q=a" || one.uri == "/api/items/41?q=b",
            "{}",
            one.uri
        );
        assert_eq!(&*one.url_full, format!("http://127.0.0.1:9{}", one.uri));
        let headers: Vec<(&str, &str)> = one
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.to_str().unwrap()))
            .collect();
        assert_eq!(headers, [("x-f", "fixed"), ("x-n", "5")]);
        assert_eq!(one.body, "{\"n\":7}");
        let health = r.render(1, &mut rng, 0);
        assert_eq!(health.uri, "/api/health");
        assert!(health.body.is_empty() && health.headers.is_empty());
    }
}
