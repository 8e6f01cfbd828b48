//! Dependencies as a cause: the jobs a job needs (`--needs`), and the bad
//! jobs that block the bad jobs needing them.

use std::collections::HashMap;

use super::{add, key, Causes, Facts, Kind};
use crate::judge::Judgement;
use crate::record::{Content, Entry};
use crate::schedule::Expectation;

/// Keeps the jobs row `j` needs, from its record and its crontab line, by
/// the row's key.
pub(crate) fn note_needs(
    needs: &mut HashMap<String, Vec<String>>,
    j: &Judgement,
    entry: &Entry,
    line: Option<&Expectation>,
) {
    let mut all = match &entry.content {
        Ok(Content::Record(r)) => r.needs.clone(),
        _ => Vec::new(),
    };
    for n in line.map_or(&[][..], |l| &l.needs[..]) {
        if !all.contains(n) {
            all.push(n.clone());
        }
    }
    if !all.is_empty() {
        needs.insert(key(j.host.as_deref(), &j.job), all);
    }
}

/// Jobs blocked by a bad job they need: each bad job that needs a bad job
/// (of its host) goes under the bad job at the root of its chain.
pub(super) fn blocked(jobs: &[Judgement], facts: &Facts, causes: &mut Causes) {
    if facts.needs.is_empty() {
        return;
    }
    // Only a bad row can block, so only bad rows are looked up: a map of
    // every row would cost a key per heartbeat on a fleet's scan.
    let rows: HashMap<String, usize> = (jobs.iter().enumerate())
        .filter(|(_, j)| j.status.is_alert())
        .map(|(i, j)| (key(j.host.as_deref(), &j.job), i))
        .collect();
    // The bad job a bad row needs, if any.
    let bad_parent = |i: usize| -> Option<usize> {
        let j = Some(&jobs[i]).filter(|j| j.status.is_alert())?;
        let needs = facts.needs.get(&key(j.host.as_deref(), &j.job))?;
        needs
            .iter()
            .filter_map(|n| rows.get(&key(j.host.as_deref(), n)).copied())
            .find(|&p| p != i && jobs[p].status.is_alert())
    };
    // Each bad row's parent, looked up once, and the root of its chain,
    // found once per row however long the chains: a chain that goes round
    // (a lint error), or leads into one, blocks nothing.
    let parents: Vec<Option<usize>> = (0..jobs.len()).map(bad_parent).collect();
    let mut roots: Vec<Root> = vec![Root::Unknown; jobs.len()];
    let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
    let mut group_of: HashMap<usize, usize> = HashMap::new();
    for i in 0..jobs.len() {
        let Some(parent) = parents[i].filter(|_| causes.of_job[i].is_none()) else {
            continue;
        };
        let Some(root) = root_of(i, &parents, &mut roots) else {
            continue;
        };
        causes.blocked_by[i] = Some(parent);
        let group = *group_of.entry(root).or_insert_with(|| {
            groups.push((root, Vec::new()));
            groups.len() - 1
        });
        groups[group].1.push(i);
    }
    for (root, rows) in groups {
        let name = key(jobs[root].host.as_deref(), &jobs[root].job);
        let (status, count) = (jobs[root].status, rows.len());
        let text = format!("{name} {status}: {count} job(s) need it");
        add(causes, Kind::Blocked, text, rows).by = Some(root);
    }
}

/// Where a row's chain of bad parents ends, as far as known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Root {
    Unknown,
    /// On the chain being walked now: meeting it again closes a circle.
    Walking,
    /// The chain ends at this row; `None`: it goes round.
    Known(Option<usize>),
}

/// The row at the top of `i`'s chain, walking each row once in all: every
/// row on the way learns the answer.
fn root_of(i: usize, parents: &[Option<usize>], roots: &mut [Root]) -> Option<usize> {
    let (mut path, mut at) = (Vec::new(), i);
    let root = loop {
        match roots[at] {
            Root::Known(root) => break root,
            Root::Walking => break None,
            Root::Unknown => {
                roots[at] = Root::Walking;
                path.push(at);
                match parents[at] {
                    Some(up) => at = up,
                    None => break Some(at),
                }
            }
        }
    };
    for row in path {
        roots[row] = Root::Known(root);
    }
    root
}
