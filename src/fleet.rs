//! The same job across many hosts' heartbeats (`hosts/<host>/*.last`): groups of hosts whose job is
//! in the same bad status ("backup stale on 40 of 42 hosts: web01..web40") and the `--quorum JOB=N`
//! rules. Computed once per run ([`Fleet::of`]) from the judged rows for every renderer. Pure.

use std::collections::BTreeSet;

use crate::exit_code::Check;
use crate::judge::{rows::host_of, Judgement, Status};
use crate::Error;

/// The fewest hosts that make a group: two with the same failure are one cause to name once.
const GROUP_MIN_HOSTS: usize = 2;

/// One job in one bad status on several hosts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Group {
    pub job: String,
    pub status: Status,
    /// The hosts whose job is in `status`, in natural order.
    pub hosts: Vec<String>,
    /// How many hosts have a row for the job at all.
    pub of: usize,
}

impl Group {
    /// `backup stale on 40 of 42 hosts: web01..web40`, unescaped: each
    /// renderer escapes the names (from heartbeat files) for its medium.
    pub(crate) fn line(&self) -> String {
        let (job, status, n, of) = (&self.job, self.status, self.hosts.len(), self.of);
        let hosts = compact(&self.hosts);
        format!("{job} {status} on {n} of {of} hosts: {hosts}")
    }
}

/// A `--quorum JOB=N` rule: JOB must be ok on at least N hosts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Quorum {
    pub job: String,
    pub min: u32,
}

/// Parses `JOB=N`: JOB a job's own name (never HOST/JOB), N from 1.
pub(crate) fn parse_quorum(text: &str) -> Result<Quorum, Error> {
    let text = text.trim();
    let shown = crate::escape::terminal(text);
    let Some((job, min)) = text.split_once('=') else {
        return Err(Error::rule(format!(
            "`{shown}` is not a quorum: give JOB=N, such as backup=40 (backup must be ok on at least 40 hosts)"
        )));
    };
    let job = job.trim();
    crate::record::validate_job(job).map_err(|e| Error::rule(format!("quorum `{shown}`: {e}")))?;
    let min = crate::record::parse_count(min, 1, u32::MAX)
        .map_err(|e| Error::rule(format!("quorum `{shown}`: the number of hosts: {e}")))?;
    let job = job.to_owned();
    Ok(Quorum { job, min })
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct QuorumVerdict {
    pub job: String,
    pub min: u32,
    /// The hosts where the job is ok (or running within its maximum).
    pub ok: usize,
    /// The hosts that have a row for the job.
    pub of: usize,
    /// Not met: one CRITICAL alert for the job (`"status": "below"`).
    #[serde(rename = "status", serialize_with = "status_word")]
    pub below: bool,
    pub reason: String,
    /// The hosts where the job is not ok, in natural order.
    pub not_ok: Vec<String>,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's signature
fn status_word<S: serde::Serializer>(below: &bool, out: S) -> Result<S::Ok, S::Error> {
    out.serialize_str(if *below { "below" } else { "ok" })
}

impl QuorumVerdict {
    /// Whether a report says it: below, or met with hosts not ok (why their alerts only warn).
    pub(crate) fn worth_saying(&self) -> bool {
        self.below || !self.not_ok.is_empty()
    }

    /// `backup below quorum: ok on 2 of 42 hosts, ...` or `backup quorum met: ...`, unescaped.
    pub(crate) fn line(&self) -> String {
        let said = if self.below {
            "below quorum"
        } else {
            "quorum met"
        };
        format!("{} {said}: {}", self.job, self.reason)
    }
}

/// Everything the run knows about jobs across hosts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Fleet {
    /// The groups, worst status first, then most hosts first, then by job.
    pub groups: Vec<Group>,
    /// One verdict per quorum rule, in the order the rules were given.
    pub quorum: Vec<QuorumVerdict>,
    /// The places in `groups`, sorted by job and status.
    by_job: Vec<usize>,
}

pub(crate) static NONE: Fleet = Fleet {
    groups: Vec::new(),
    quorum: Vec::new(),
    by_job: Vec::new(),
};

impl Fleet {
    /// Groups `jobs` (a row without a host is the checking host `local`'s)
    /// and judges the `rules` (a job named twice: the last rule wins).
    pub(crate) fn of(jobs: &[Judgement], local: &str, rules: &[Quorum]) -> Fleet {
        let ruled: BTreeSet<&str> = rules.iter().map(|r| r.job.as_str()).collect();
        let groupable = |s: Status| !s.is_healthy() && s != Status::Paused;
        // Sorted (job, status, host) of bad rows (they may group) and ruled jobs'
        // rows: a list, where 10,000 bad rows of one host took 5.6 MB as maps.
        let mut rows: Vec<(&str, Status, &str)> = (jobs.iter())
            .filter(|j| groupable(j.status) || ruled.contains(j.job.as_str()))
            .map(|j| (j.job.as_str(), j.status, host_of(j, local)))
            .collect();
        rows.sort_unstable();
        rows.dedup();
        let grouped: Vec<&[(&str, Status, &str)]> = rows
            .chunk_by(|a, b| (a.0, a.1) == (b.0, b.1))
            .filter(|run| groupable(run[0].1) && run.len() >= GROUP_MIN_HOSTS)
            .collect();
        // Every host with a row, for the jobs that group or have a rule.
        let counted: BTreeSet<&str> = (grouped.iter().map(|run| run[0].0))
            .chain(ruled.iter().copied())
            .collect();
        let mut all_hosts: Vec<(&str, &str)> = (jobs.iter())
            .filter(|j| counted.contains(j.job.as_str()))
            .map(|j| (j.job.as_str(), host_of(j, local)))
            .collect();
        all_hosts.sort_unstable();
        all_hosts.dedup();
        let hosts_of = |job: &str| span(&all_hosts, job, |t| t.0);
        let mut groups: Vec<Group> = (grouped.iter())
            .map(|run| Group {
                job: run[0].0.to_owned(),
                status: run[0].1,
                hosts: natural(run.iter().map(|t| t.2)),
                of: hosts_of(run[0].0).len(),
            })
            .collect();
        groups.sort_by(|a, b| {
            (a.status, b.hosts.len(), &a.job).cmp(&(b.status, a.hosts.len(), &b.job))
        });
        let mut quorum: Vec<QuorumVerdict> = Vec::new();
        for Quorum { job, min } in rules {
            let ok: BTreeSet<&str> = (span(&rows, job, |t| t.0).iter())
                .filter(|t| t.1.is_healthy())
                .map(|t| t.2)
                .collect();
            let all = hosts_of(job);
            let not_ok = natural(all.iter().map(|t| t.1).filter(|h| !ok.contains(h)));
            let (ok, of) = (ok.len(), all.len());
            let below = ok < usize::try_from(*min).unwrap_or(usize::MAX);
            let reason = match (below, of) {
                (true, 0) => format!("no host has a heartbeat for it, at least {min} needed"),
                // Below with every host ok: too few hosts, none to name.
                (true, _) if !not_ok.is_empty() => format!(
                    "ok on {ok} of {of} hosts, at least {min} needed (not ok: {})",
                    compact(&not_ok)
                ),
                _ => format!("ok on {ok} of {of} hosts, at least {min} needed"),
            };
            let verdict = QuorumVerdict {
                job: job.clone(),
                min: *min,
                ok,
                of,
                below,
                reason,
                not_ok,
            };
            // A job named twice: the first rule's place, the last one's number.
            match quorum.iter_mut().find(|q| q.job == verdict.job) {
                Some(first) => *first = verdict,
                None => quorum.push(verdict),
            }
        }
        let mut by_job: Vec<usize> = (0..groups.len()).collect();
        by_job.sort_unstable_by_key(|&g| (&groups[g].job, groups[g].status));
        Fleet {
            groups,
            quorum,
            by_job,
        }
    }

    pub(crate) fn group_of(&self, j: &Judgement) -> Option<usize> {
        let key = |&g: &usize| (self.groups[g].job.as_str(), self.groups[g].status);
        let at = (self.by_job).binary_search_by(|g| key(g).cmp(&(&j.job, j.status)));
        at.ok().map(|at| self.by_job[at])
    }

    /// The fleet's lines, unescaped: each quorum worth saying, then each group.
    pub(crate) fn lines(&self) -> impl Iterator<Item = String> + '_ {
        let quorum = self.quorum.iter().filter(|q| q.worth_saying());
        let groups = self.groups.iter().map(Group::line);
        quorum.map(QuorumVerdict::line).chain(groups)
    }

    /// Each quorum rule for the change engine: the pseudo-job `JOB quorum`,
    /// `stale` while below, `ok` while met: a quorum lost or regained is news.
    pub(crate) fn pairs(&self) -> impl Iterator<Item = (String, Status)> + '_ {
        self.quorum.iter().map(|q| {
            let status = if q.below { Status::Stale } else { Status::Ok };
            (format!("{} quorum", q.job), status)
        })
    }

    pub(crate) fn below(&self) -> impl Iterator<Item = &QuorumVerdict> {
        self.quorum.iter().filter(|q| q.below)
    }

    /// The exit code of `jobs` under the quorum rules: a met quorum makes its
    /// hosts' alerts warnings; one not met is CRITICAL, once for the job.
    pub(crate) fn code(&self, jobs: &[Judgement]) -> Check {
        let met: BTreeSet<&str> = (self.quorum.iter().filter(|q| !q.below))
            .map(|q| q.job.as_str())
            .collect();
        let rows = jobs.iter().map(|j| match Check::of(j.status) {
            Check::Critical if met.contains(j.job.as_str()) => Check::Warning,
            code => code,
        });
        let below = self.below().map(|_| Check::Critical);
        // No row and no rule: as without a fleet (no heartbeat found).
        (rows.chain(below).reduce(Check::merge)).unwrap_or_else(|| Check::of_all([]))
    }
}

fn span<'s, T>(sorted: &'s [T], job: &str, key: impl Fn(&T) -> &str) -> &'s [T] {
    let from = sorted.partition_point(|t| key(t) < job);
    let to = sorted.partition_point(|t| key(t) <= job);
    &sorted[from..to]
}

fn natural<'a>(hosts: impl Iterator<Item = &'a str>) -> Vec<String> {
    sorted(hosts).iter().map(|p| p.name.to_owned()).collect()
}

/// The items (ranges or names) a list shows before it counts the rest's hosts.
const ITEMS_MAX: usize = 8;

/// A host name cut around its last run of digits (if any), for order and ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Parts<'a> {
    name: &'a str,
    head: &'a str,
    number: Option<(u128, usize)>,
    tail: &'a str,
}

fn parts(name: &str) -> Parts<'_> {
    let bytes = name.as_bytes();
    // Without a digit, the number is empty: no number, all head.
    let end = (bytes.iter().rposition(u8::is_ascii_digit)).map_or(name.len(), |i| i + 1);
    let start = (bytes[..end].iter().rposition(|b| !b.is_ascii_digit())).map_or(0, |i| i + 1);
    // A number too long for u128 is compared as text: no range.
    let number = name[start..end].parse().ok().map(|n| (n, end - start));
    Parts {
        name,
        head: &name[..start],
        number,
        tail: &name[end..],
    }
}

/// Whether `next` follows `last` in a range: the same text around a number one greater, of the same
/// width when either is zero-padded (`web09`, `web10`; `web9`, `web10`; not `web9`, `web010`).
fn follows(last: &Parts<'_>, next: &Parts<'_>) -> bool {
    let padded =
        |(n, width): (u128, usize)| width > n.checked_ilog10().map_or(1, |l| l as usize + 1);
    let (Some(a), Some(b)) = (last.number, next.number) else {
        return false;
    };
    last.head == next.head
        && last.tail == next.tail
        && a.0.checked_add(1) == Some(b.0)
        && (a.1 == b.1 || !(padded(a) || padded(b)))
}

/// `hosts` in natural order (`web2` before `web10`), each once.
fn sorted<'a>(hosts: impl IntoIterator<Item = &'a str>) -> Vec<Parts<'a>> {
    let mut all: Vec<Parts<'a>> = hosts.into_iter().map(parts).collect();
    let key = |p: &Parts<'a>| (p.head, p.tail, p.number.map_or(u128::MAX, |n| n.0), p.name);
    all.sort_by(|a, b| key(a).cmp(&key(b)));
    all.dedup_by(|a, b| a.name == b.name);
    all
}

/// `hosts` in at most [`ITEMS_MAX`] items (three or more in a range as `first..last`, any other
/// alone), the rest's hosts counted: `web01..web40, db1 and 3 more hosts`. Unescaped.
pub(crate) fn compact<S: AsRef<str>>(hosts: &[S]) -> String {
    let sorted = sorted(hosts.iter().map(AsRef::as_ref));
    // Each item with how many hosts it stands for.
    let items: Vec<(String, usize)> = (sorted.chunk_by(|a, b| follows(a, b)))
        .flat_map(|run| match run {
            [first, _, .., last] => vec![(format!("{}..{}", first.name, last.name), run.len())],
            _ => run.iter().map(|p| (p.name.to_owned(), 1)).collect(),
        })
        .collect();
    let shown = items.len().min(ITEMS_MAX);
    let names: Vec<&str> = items[..shown].iter().map(|(n, _)| n.as_str()).collect();
    match items[shown..].iter().map(|(_, count)| count).sum::<usize>() {
        0 => names.join(", "),
        left => format!("{} and {left} more hosts", names.join(", ")),
    }
}

#[cfg(test)]
#[path = "fleet/tests.rs"]
pub(crate) mod tests;
