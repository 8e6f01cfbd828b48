//! [`crate::fleet`]'s groups and unmet quorum rules in the alert issue, said
//! once (`` `backup` stale on 40 of 42 hosts: `web01..web40` ``).

use std::collections::HashMap;

use super::decide::alert_key;
use super::text::{inert, named};
use crate::fleet::{compact, Fleet, Group, QuorumVerdict};
use crate::judge::{Judgement, Status};

fn group(g: &Group) -> String {
    let (job, count, hosts) = (inert(&g.job), g.hosts.len(), inert(&compact(&g.hosts)));
    format!("{job} {} on {count} of {} hosts: {hosts}", g.status, g.of)
}

/// The paragraph atop the issue body; empty without groups or quorum rules.
pub(crate) fn summary(fleet: &Fleet) -> String {
    let below = fleet.below().map(|q: &QuorumVerdict| {
        let (job, not_ok) = (inert(&q.job), inert(&compact(&q.not_ok)));
        let (ok, of, min) = (q.ok, q.of, q.min);
        format!("{job} is below its quorum: ok on {ok} of {of} hosts, at least {min} needed (not ok: {not_ok})")
    });
    let alerting = |g: &&Group| g.status.is_alert();
    let groups = fleet.groups.iter().filter(alerting).map(group);
    let lines: Vec<String> = below.chain(groups).collect();
    if lines.is_empty() {
        return String::new();
    }
    format!("Across hosts:\n\n- {}\n\n", lines.join("\n- "))
}

/// The jobs that went bad: those of a group of `fleet` said once for all
/// their hosts, any other by its key and status.
pub(crate) fn went_bad(
    host: &str,
    jobs: &[Judgement],
    fleet: &Fleet,
    items: &[(String, Status)],
) -> String {
    let groups: HashMap<String, usize> = jobs
        .iter()
        .filter_map(|j| Some((alert_key(host, j), fleet.group_of(j)?)))
        .collect();
    let mut told = vec![false; fleet.groups.len()];
    named(
        items
            .iter()
            .filter_map(|(key, status)| match groups.get(key).copied() {
                Some(g) if fleet.groups[g].status == *status => {
                    (!std::mem::replace(&mut told[g], true)).then(|| group(&fleet.groups[g]))
                }
                _ => Some(format!("{} ({status})", inert(key))),
            }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::parse_quorum;
    use crate::fleet::tests::row;

    #[test]
    fn went_bad_names_a_group_once_and_other_jobs_by_their_key() {
        let jobs = vec![
            row("web1", "backup", Status::Stale),
            row("web2", "backup", Status::Stale),
            row("web3", "backup", Status::Stale),
            row("web4", "backup", Status::Failed),
            row("web5", "backup", Status::Ok),
        ];
        let fleet = Fleet::of(&jobs, "central", &[]);
        let items: Vec<(String, Status)> = jobs[..4]
            .iter()
            .map(|j| (alert_key("central", j), j.status))
            .collect();
        assert_eq!(
            went_bad("central", &jobs, &fleet, &items),
            "`backup` stale on 3 of 5 hosts: `web1..web3`, `web4/backup` (failed)"
        );
        // Without groups, every job by its key, as before.
        assert_eq!(
            went_bad("central", &jobs, &crate::fleet::NONE, &items[3..]),
            "`web4/backup` (failed)"
        );
    }

    #[test]
    fn the_summary_says_unmet_quorum_rules_and_alerting_groups() {
        let jobs = vec![
            row("web1", "backup", Status::Stale),
            row("web2", "backup", Status::Stale),
            row("web1", "sync", Status::Late),
            row("web2", "sync", Status::Late),
        ];
        assert_eq!(summary(&Fleet::of(&jobs[2..], "c", &[])), "");
        let rules = [parse_quorum("backup=2").unwrap()];
        let text = summary(&Fleet::of(&jobs, "c", &rules));
        assert_eq!(
            text,
            "Across hosts:\n\n\
             - `backup` is below its quorum: ok on 0 of 2 hosts, at least 2 needed (not ok: `web1, web2`)\n\
             - `backup` stale on 2 of 2 hosts: `web1, web2`\n\n"
        );
    }
}
