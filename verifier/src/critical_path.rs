//! The critical path of a trace: the chain of spans that determined its
//! end-to-end time, computed the way Jaeger UI's critical-path view does
//! (jaeger-ui `components/TracePage/CriticalPath`), plus each span's self
//! time, so a report can name the span that dominated a slow request.
//!
//! The algorithm: start at the root's end; the span's *last finishing child*
//! (LFC) blocked it, so the time from the LFC's end to the span's end is the
//! span's own, then the walk descends into the LFC. A span without a further
//! child owns the time from its start; the walk returns to the parent and
//! picks the child that finished before that start (parallel children that
//! overlap it are skipped: they did not block). Before the walk, children are
//! clipped to their parent (a child outliving its parent only blocks it until
//! the parent ends) and children wholly outside their parent are dropped with
//! their subtrees (they blocked nothing).
//!
//! Two deliberate differences from Jaeger UI: a child that ends exactly when
//! the next one starts is still taken as blocking (Jaeger requires it to end
//! strictly before, which leaves back-to-back sequential children off the
//! path), and a child that starts before and ends after its parent is
//! clipped to the parent rather than dropped. The walk is iterative, so a
//! deep trace cannot overflow the stack.

use std::collections::HashMap;

use crate::model::{SpanId, Trace};

/// A stretch of time on the critical path owned by one span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Section {
    /// The span (by index into `Trace::spans`).
    pub span: usize,
    /// Start, nanoseconds since the Unix epoch.
    pub start_ns: u64,
    /// End, nanoseconds since the Unix epoch.
    pub end_ns: u64,
}

/// What the critical path says about a trace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathAnalysis {
    /// The root the path runs through (index into `Trace::spans`).
    pub root: Option<usize>,
    /// The sections, in time order.
    pub sections: Vec<Section>,
    /// Per span (index into `Trace::spans`): time on the critical path, ns.
    pub critical_ns: Vec<u64>,
    /// Per span: its duration minus the time its children cover, ns
    /// (children clipped to it; spans dropped from the tree keep their
    /// duration).
    pub self_ns: Vec<u64>,
}

impl PathAnalysis {
    /// The span with the most time on the critical path (the first on the
    /// path among equals), `None` for an empty trace.
    pub fn dominant(&self) -> Option<usize> {
        let mut best: Option<usize> = None;
        for section in &self.sections {
            let span = section.span;
            if best.is_none_or(|b| self.critical_ns[span] > self.critical_ns[b]) {
                best = Some(span);
            }
        }
        best
    }

    /// The length of the path (the root's end-to-end time), ns.
    pub fn total_ns(&self) -> u64 {
        self.sections.iter().map(|s| s.end_ns - s.start_ns).sum()
    }
}

/// A span's interval after clipping to its parent.
#[derive(Clone, Copy)]
struct Clipped {
    start: u64,
    end: u64,
}

/// Computes the critical path of a trace through its root (the top-level
/// span that ends last, when a broken trace has several), and every span's
/// self time.
pub(crate) fn analyse(trace: &Trace) -> PathAnalysis {
    let spans = &trace.spans;
    let n = spans.len();
    let mut index: HashMap<SpanId, usize> = HashMap::with_capacity(n);
    for (i, span) in spans.iter().enumerate() {
        index.entry(span.span_id).or_insert(i);
    }
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut tops = Vec::new();
    for (i, span) in spans.iter().enumerate() {
        match span.parent.and_then(|p| index.get(&p)).filter(|&&p| p != i) {
            Some(&p) => children[p].push(i),
            None => tops.push(i),
        }
    }
    let mut self_ns: Vec<u64> = spans.iter().map(|s| s.duration_ns()).collect();
    let mut critical_ns = vec![0; n];
    let Some(root) = tops
        .iter()
        .copied()
        .max_by_key(|&i| (spans[i].end_ns, std::cmp::Reverse(i)))
    else {
        return PathAnalysis {
            root: None,
            sections: Vec::new(),
            critical_ns,
            self_ns,
        };
    };

    // Clip every span of the root's tree to its parent, depth first; a
    // visited mark keeps a parent cycle from looping.
    let mut clipped: Vec<Option<Clipped>> = vec![None; n];
    let mut kept: Vec<Vec<usize>> = vec![Vec::new(); n];
    clipped[root] = Some(Clipped {
        start: spans[root].start_ns,
        end: spans[root].end_ns.max(spans[root].start_ns),
    });
    let mut stack = vec![root];
    while let Some(p) = stack.pop() {
        let Some(parent) = clipped[p] else { continue };
        for &c in &children[p] {
            if clipped[c].is_some() {
                continue;
            }
            let start = spans[c].start_ns.max(parent.start);
            let end = spans[c].end_ns.min(parent.end);
            if start >= end && !(start == end && spans[c].start_ns == spans[c].end_ns) {
                continue; // wholly outside its parent: it blocked nothing
            }
            clipped[c] = Some(Clipped { start, end });
            kept[p].push(c);
            stack.push(c);
        }
        // Latest end first (later start first among equals), as the walk
        // looks for the last finishing child.
        kept[p].sort_by_key(|&c| {
            let iv = clipped[c].map_or((0, 0), |iv| (iv.end, iv.start));
            (std::cmp::Reverse(iv), c)
        });
        self_ns[p] = (parent.end - parent.start)
            // (every kept child is clipped: the fallback is never taken)
            .saturating_sub(covered(
                kept[p].iter().map(|&c| clipped[c].unwrap_or(parent)),
            ));
    }

    let mut sections = Vec::new();
    let mut current = root;
    let mut returning: Option<u64> = None;
    // Per span, how many of its kept children can no longer be the last
    // finishing one: each return to a span comes from a child that started
    // earlier than the one before, so the limit only falls and a child
    // passed over once stays passed over. Linear even in a trace with
    // 100,000 sequential siblings.
    let mut passed = vec![0usize; n];
    while let Some(span) = clipped[current] {
        let section_end = returning.unwrap_or(span.end);
        let candidates = &kept[current];
        let fits = |c: usize| {
            clipped[c]
                .is_some_and(|iv| returning.is_none_or(|limit| iv.end <= limit && iv.start < limit))
        };
        while passed[current] < candidates.len() && !fits(candidates[passed[current]]) {
            passed[current] += 1;
        }
        let lfc = candidates.get(passed[current]).copied();
        match lfc {
            Some(child) => {
                let child_end = clipped[child].map_or(section_end, |iv| iv.end.min(section_end));
                push(&mut sections, current, child_end, section_end);
                current = child;
                returning = None;
            }
            None => {
                push(&mut sections, current, span.start, section_end);
                let parent = spans[current]
                    .parent
                    .and_then(|p| index.get(&p).copied())
                    .filter(|&p| p != current && clipped[p].is_some());
                match parent {
                    Some(p) if current != root => {
                        returning = Some(span.start);
                        current = p;
                    }
                    _ => break,
                }
            }
        }
    }
    sections.reverse();
    for section in &sections {
        critical_ns[section.span] += section.end_ns - section.start_ns;
    }
    PathAnalysis {
        root: Some(root),
        sections,
        critical_ns,
        self_ns,
    }
}

fn push(sections: &mut Vec<Section>, span: usize, start_ns: u64, end_ns: u64) {
    if end_ns > start_ns {
        sections.push(Section {
            span,
            start_ns,
            end_ns,
        });
    }
}

/// The length of the union of intervals.
fn covered(mut intervals: impl ExactSizeIterator<Item = Clipped>) -> u64 {
    if intervals.len() <= 1 {
        // No list to sort (a chain has one child per span).
        return intervals.next().map_or(0, |iv| iv.end - iv.start);
    }
    let mut list: Vec<(u64, u64)> = intervals.map(|iv| (iv.start, iv.end)).collect();
    list.sort_unstable();
    let mut total = 0;
    let mut current: Option<(u64, u64)> = None;
    for (start, end) in list {
        match current {
            Some((s, e)) if start <= e => current = Some((s, e.max(end))),
            _ => {
                if let Some((s, e)) = current {
                    total += e - s;
                }
                current = Some((start, end));
            }
        }
    }
    total + current.map_or(0, |(s, e)| e - s)
}

#[cfg(test)]
mod tests;
