//! The set of rows: one per (host, job), expected jobs added, their order, counts.

use std::collections::HashSet;

use super::{judge, Job, Judgement, Policy, Status};

/// The rows: one per (host, job) ([`dedup`]), plus one for each crontab line
/// and `expect` job ([`is_expected`]) no row answers; sorted once ([`sort`]).
pub(crate) fn rows<'p>(
    judged: Vec<Judgement>,
    crontab: &[crate::schedule::Expectation],
    expect: &[String],
    local: &str,
    policy: &Policy,
    pause_of: impl Fn(&str) -> Option<&'p crate::pause::Pause>,
) -> Vec<Judgement> {
    // A job with no heartbeat: missing, or judged by the crontab line that runs it.
    let absent = |name: &str, crontab| {
        let job = Job {
            name,
            crontab,
            pause: pause_of(name),
            ..Job::default()
        };
        judge(&job, policy)
    };
    let mut all = dedup(judged, local);
    if !crontab.is_empty() {
        // Borrowed names: a look-up per line, and no set without a crontab.
        let judged: HashSet<&str> = all.iter().map(|j| j.job.as_str()).collect();
        let mut added = HashSet::new();
        let unseen: Vec<Judgement> = (crontab.iter())
            .map(|line| (super::schedule::judged_name(line), line))
            .filter(|(name, _)| !judged.contains(name.as_str()) && added.insert(name.clone()))
            .map(|(name, line)| absent(&name, Some(line)))
            .collect();
        all.extend(unseen);
    }
    for name in expect {
        if !all.iter().any(|j| is_expected(j, name, local)) {
            all.push(absent(name, None));
        }
    }
    sort(&mut all);
    all
}

/// A judgement's own host (record's or subdirectory's), else the checking host.
pub(crate) fn host_of<'a>(j: &'a Judgement, local: &'a str) -> &'a str {
    j.host.as_deref().unwrap_or(local)
}

/// One judgement per (host, job) of several directories (two by default): the newest wins, a tie
/// the first found; the losers' files go to its `duplicates`; the rest keep their order.
pub(crate) fn dedup(mut all: Vec<Judgement>, local: &str) -> Vec<Judgement> {
    // Row indices sorted by (job, host, position): duplicates are runs of equal
    // keys, in the order found; comparing all pairs took 5 billion steps for 100,000 rows.
    let mut order: Vec<usize> = (0..all.len()).collect();
    let key = |i: usize| (all[i].job.as_str(), host_of(&all[i], local));
    order.sort_unstable_by(|&a, &b| key(a).cmp(&key(b)).then(a.cmp(&b)));
    let runs: Vec<&[usize]> = order
        .chunk_by(|&a, &b| key(a) == key(b))
        .filter(|run| run.len() > 1)
        .collect();
    if runs.is_empty() {
        return all;
    }
    // As one row at a time: a newer heartbeat takes the winner's (first) place and losers.
    let mut lost = vec![false; all.len()];
    for run in runs {
        let mut w = run[0];
        for &i in &run[1..] {
            let newer = all[i].timestamp > all[w].timestamp;
            let (loser, keep) = if newer { (w, i) } else { (i, w) };
            let path = all[loser].path.take();
            let more = std::mem::take(&mut all[loser].duplicates);
            all[keep].duplicates.extend(path);
            all[keep].duplicates.extend(more);
            lost[loser] = true;
            w = keep;
        }
        all.swap(w, run[0]);
        lost.swap(w, run[0]);
    }
    let mut lost = lost.into_iter();
    all.retain(|_| lost.next() == Some(false));
    all
}

/// Whether `--expect` `job` names `j`: `JOB` a local job; `X/JOB` host X's JOB or user X's `X/JOB`.
pub(crate) fn is_expected(j: &Judgement, job: &str, local: &str) -> bool {
    match job.split_once('/') {
        None => j.job == job && host_of(j, local) == local,
        Some((host, name)) => j.job == job || (j.job == name && host_of(j, local) == host),
    }
}

/// Worst first, then ratio descending, job, host and path: a total order, so the
/// unstable sort gives the stable one's result without its scratch (14 MiB per 100,000 rows).
pub(crate) fn sort(all: &mut [Judgement]) {
    let ratio = |j: &Judgement| j.ratio.unwrap_or(f64::INFINITY);
    all.sort_unstable_by(|a, b| {
        (a.status.cmp(&b.status))
            .then_with(|| ratio(b).total_cmp(&ratio(a)))
            .then_with(|| a.job.cmp(&b.job))
            .then_with(|| a.host.cmp(&b.host))
            // The scan reads in directory order: the path keeps ties stable.
            .then_with(|| a.path.cmp(&b.path))
    });
}

/// How many jobs have each status, worst first, zero counts included.
pub(crate) fn summary(all: &[Judgement]) -> Vec<(Status, usize)> {
    let mut counts = [0; Status::ALL.len()];
    for j in all {
        counts[j.status as usize] += 1;
    }
    Status::ALL.into_iter().zip(counts).collect()
}
