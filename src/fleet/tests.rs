use super::*;

/// A judged row of `job` on `host` in `status`, nothing else known.
pub(crate) fn row(host: &str, job: &str, status: Status) -> Judgement {
    Judgement {
        host: Some(host.to_owned()),
        status,
        ..Judgement::missing(job)
    }
}

/// 42 hosts run backup: 40 stale, 2 ok; two run rotate, one failed.
fn fleet_rows() -> Vec<Judgement> {
    let mut jobs: Vec<Judgement> = (1..=42)
        .map(|n| {
            let status = if n <= 40 { Status::Stale } else { Status::Ok };
            row(&format!("web{n:02}"), "backup", status)
        })
        .collect();
    jobs.push(row("web01", "rotate", Status::Failed));
    jobs.push(row("web02", "rotate", Status::Ok));
    jobs
}

#[test]
fn the_same_job_in_the_same_bad_status_is_one_group() {
    let fleet = Fleet::of(&fleet_rows(), "central", &[]);
    assert_eq!(fleet.groups.len(), 1, "{fleet:?}");
    let group = &fleet.groups[0];
    assert_eq!(group.line(), "backup stale on 40 of 42 hosts: web01..web40");
    assert_eq!(group.hosts.len(), 40);
    assert_eq!(group.hosts[0], "web01");
    // One failed host is no group: its own row says it.
    assert!(fleet
        .group_of(&row("web01", "rotate", Status::Failed))
        .is_none());
    assert_eq!(
        fleet.group_of(&row("web07", "backup", Status::Stale)),
        Some(0)
    );
    assert!(fleet
        .group_of(&row("web41", "backup", Status::Ok))
        .is_none());
    // Without quorum rules, the code is every row's.
    assert_eq!(fleet.code(&fleet_rows()), Check::Critical);
}

#[test]
fn paused_and_healthy_jobs_never_group_and_one_host_is_no_fleet() {
    let jobs = vec![
        row("a1", "backup", Status::Paused),
        row("a2", "backup", Status::Paused),
        row("a1", "sync", Status::Ok),
        row("a2", "sync", Status::Ok),
    ];
    assert!(Fleet::of(&jobs, "central", &[]).groups.is_empty());
    // Rows without a host are the checking host's: two jobs of one host.
    let local = vec![Judgement::missing("x"), Judgement::missing("x")];
    assert!(Fleet::of(&local, "central", &[]).groups.is_empty());
}

#[test]
fn groups_are_worst_first_then_largest() {
    let mut jobs = vec![
        row("a", "late-job", Status::Late),
        row("b", "late-job", Status::Late),
        row("a", "small", Status::Stale),
        row("b", "small", Status::Stale),
    ];
    jobs.extend((0..5).map(|n| row(&format!("h{n}"), "big", Status::Stale)));
    let fleet = Fleet::of(&jobs, "central", &[]);
    let order: Vec<&str> = fleet.groups.iter().map(|g| g.job.as_str()).collect();
    assert_eq!(order, ["big", "small", "late-job"]);
}

#[test]
fn a_quorum_below_is_one_critical_alert_and_a_met_one_tolerates_hosts() {
    let rules = [parse_quorum("backup=40").unwrap()];
    let below = Fleet::of(&fleet_rows(), "central", &rules);
    let verdict = &below.quorum[0];
    assert!(verdict.below);
    assert_eq!((verdict.ok, verdict.of), (2, 42));
    assert_eq!(
        verdict.line(),
        "backup below quorum: ok on 2 of 42 hosts, at least 40 needed (not ok: web01..web40)"
    );
    assert_eq!(below.code(&fleet_rows()), Check::Critical);

    // 2 of 42 stale with a quorum of 40: the fleet does without them, a
    // warning.
    let mut jobs: Vec<Judgement> = (1..=42)
        .map(|n| {
            let status = if n <= 2 { Status::Stale } else { Status::Ok };
            row(&format!("web{n:02}"), "backup", status)
        })
        .collect();
    let met = Fleet::of(&jobs, "central", &rules);
    assert!(!met.quorum[0].below);
    assert_eq!(met.code(&jobs), Check::Warning);
    // Another job's alert is its own.
    jobs.push(row("web01", "rotate", Status::Failed));
    assert_eq!(met.code(&jobs), Check::Critical);
}

#[test]
fn a_quorum_for_a_job_no_host_has_is_below() {
    let rules = [parse_quorum("backup=1").unwrap()];
    let fleet = Fleet::of(&[], "central", &rules);
    assert!(fleet.quorum[0].below);
    assert_eq!(
        fleet.quorum[0].reason,
        "no host has a heartbeat for it, at least 1 needed"
    );
    assert_eq!(fleet.code(&[]), Check::Critical);
    // Without a rule, no row is what it always was: a warning.
    assert_eq!(NONE.code(&[]), Check::of_all([]));
}

#[test]
fn too_few_hosts_all_ok_name_no_bad_host() {
    let rules = [parse_quorum("sync=6").unwrap()];
    let jobs: Vec<Judgement> = (1..=3)
        .map(|n| row(&format!("h{n}"), "sync", Status::Ok))
        .collect();
    let fleet = Fleet::of(&jobs, "central", &rules);
    assert!(fleet.quorum[0].below);
    assert_eq!(
        fleet.quorum[0].reason,
        "ok on 3 of 3 hosts, at least 6 needed"
    );
}

#[test]
fn a_job_named_twice_takes_the_last_number() {
    let rules = [
        parse_quorum("backup=40").unwrap(),
        parse_quorum("backup=2").unwrap(),
    ];
    let fleet = Fleet::of(&fleet_rows(), "central", &rules);
    assert_eq!(fleet.quorum.len(), 1);
    assert_eq!(fleet.quorum[0].min, 2);
    assert!(!fleet.quorum[0].below);
}

#[test]
fn quorum_rules_are_parsed_with_their_rule_named() {
    assert_eq!(
        parse_quorum(" backup=40 ").unwrap(),
        Quorum {
            job: "backup".to_owned(),
            min: 40
        }
    );
    let no_sign = parse_quorum("backup").unwrap_err().to_string();
    assert!(no_sign.contains("give JOB=N"), "{no_sign}");
    let zero = parse_quorum("backup=0").unwrap_err().to_string();
    assert!(
        zero.contains("`backup=0`") && zero.contains("from 1"),
        "{zero}"
    );
    assert!(parse_quorum("../x=3").is_err());
    assert!(parse_quorum("backup=lots").is_err());
}

fn names(prefix: &str, range: std::ops::RangeInclusive<u32>, width: usize) -> Vec<String> {
    range.map(|n| format!("{prefix}{n:0width$}")).collect()
}

fn compact_of(hosts: &[String]) -> String {
    compact(hosts)
}

#[test]
fn consecutive_numbers_are_one_range() {
    let mut hosts = names("web", 1..=40, 2);
    hosts.reverse();
    assert_eq!(compact_of(&hosts), "web01..web40");
    assert_eq!(compact_of(&names("web", 1..=2, 1)), "web1, web2");
    assert_eq!(compact_of(&names("web", 8..=11, 1)), "web8..web11");
}

#[test]
fn gaps_prefixes_widths_and_domains_break_ranges() {
    let hosts: Vec<String> = [
        "web01",
        "web02",
        "web03",
        "web05",
        "db1",
        "db2",
        "db3",
        "web004",
        "mail",
        "web06.example.com",
        "web07.example.com",
        "web08.example.com",
    ]
    .map(str::to_owned)
    .to_vec();
    assert_eq!(
        compact_of(&hosts),
        "db1..db3, mail, web01..web03, web004, web05, web06.example.com..web08.example.com"
    );
}

#[test]
fn a_long_list_counts_what_it_leaves_out() {
    let hosts: Vec<String> = (0..20).map(|n| format!("h{}", n * 2)).collect();
    let text = compact_of(&hosts);
    assert!(text.ends_with(" and 12 more hosts"), "{text}");
    // What is left out is counted in hosts, ranges too.
    let mut ranges: Vec<String> = Vec::new();
    for block in 0..10 {
        ranges.extend((0..5).map(|n| format!("r{block}x{n}")));
    }
    assert!(compact_of(&ranges).ends_with("r7x0..r7x4 and 10 more hosts"));
    assert!(text.starts_with("h0, h2, h4"), "{text}");
    let dup = ["a".to_owned(), "a".to_owned()];
    assert_eq!(compact_of(&dup), "a");
    let huge = [
        "n99999999999999999999999999999999999999999".to_owned(),
        "n1".to_owned(),
    ];
    assert_eq!(
        compact_of(&huge),
        "n1, n99999999999999999999999999999999999999999"
    );
}
