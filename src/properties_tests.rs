//! Properties that must hold for every input, checked with proptest over
//! generated inputs (a failure prints the smallest input it found):
//!
//! - any bytes in a `.last` file: the scan does not panic and the judge
//!   gives that file exactly one status;
//! - job-name validation accepts exactly `[A-Za-z0-9][A-Za-z0-9._-]{0,127}`;
//! - intervals: every parsed value is in range, whole seconds from a
//!   minute round-trip and a bare number below it is refused,
//!   and the compact format parses back to the value up to the units it
//!   leaves out;
//! - with no new heartbeat, a job's status never improves as time passes;
//! - no renderer lets a control, bidi or zero-width character through raw.

use std::fs;
use std::path::PathBuf;

use crate::judge::rows::{dedup, host_of};
use crate::judge::schedule::Rules;
use crate::judge::{judge, rows, Job, Judgement, Policy, Status};
use crate::record::{
    format_duration, parse_interval, validate_job, Content, Entry, BARE_SECONDS_MIN, INTERVAL_MAX,
    INTERVAL_MIN,
};
use crate::store::scan_each;
use crate::Heartbeat;
use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;

fn scan(dirs: &[PathBuf]) -> Result<Vec<Entry>, crate::Error> {
    let mut entries = Vec::new();
    scan_each(dirs, &mut |entry| entries.push(entry))?;
    Ok(entries)
}

fn policy(now: DateTime<Utc>) -> Policy {
    Policy {
        now,
        factor: 2.0,
        default_interval: None,
        alert_after: 1,
        rules: Rules {
            grace: None,
            start_grace: None,
            by_interval: false,
            zone: chrono_tz::Tz::UTC,
        },
    }
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 3, 0, 0).unwrap()
}

/// Text that looks like a heartbeat record, with every field free: the
/// bytes most likely to reach the corners of the parser.
fn recordish() -> impl Strategy<Value = Vec<u8>> {
    (
        prop_oneof![Just("job".to_owned()), any::<String>()],
        any::<i64>(),
        prop_oneof![Just("2026-11-22T03:00:00Z".to_owned()), any::<String>()],
        prop_oneof![Just("\"ok\"".to_owned()), Just("\"fail\"".to_owned()), any::<String>()],
        any::<String>(),
        any::<u32>(),
    )
        .prop_map(|(job, interval, timestamp, status, host, version)| {
            format!(
                r#"{{"version":{},"job":{},"timestamp":{},"interval_seconds":{interval},"host":{},"pid":1,"status":{status}}}"#,
                version % 3,
                serde_json::to_string(&job).unwrap(),
                serde_json::to_string(&timestamp).unwrap(),
                serde_json::to_string(&host).unwrap(),
            )
            .into_bytes()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn any_bytes_in_a_heartbeat_get_exactly_one_status(
        bytes in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..600),
            recordish(),
        ]
    ) {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("job.last"), &bytes).unwrap();
        let entries = scan(&[PathBuf::from(dir.path())]).unwrap();
        prop_assert_eq!(entries.len(), 1);
        let p = policy(t0() + Duration::minutes(1));
        let judged = entries.iter().map(|e| judge(&Job::of(e), &p)).collect();
        let judged = rows(judged, &[], &[], "web1", &p, |_| None);
        prop_assert_eq!(judged.len(), 1);
        prop_assert_eq!(&judged[0].job, "job");
    }

    #[test]
    fn names_from_the_rule_are_accepted(name in "[A-Za-z0-9][A-Za-z0-9._-]{0,127}") {
        prop_assert!(validate_job(&name).is_ok(), "{:?}", name);
    }

    #[test]
    fn names_longer_than_128_are_refused(name in "[A-Za-z0-9][A-Za-z0-9._-]{128,160}") {
        prop_assert!(validate_job(&name).is_err(), "{:?}", name);
    }

    #[test]
    fn one_character_outside_the_rule_is_refused(
        name in "[A-Za-z0-9][A-Za-z0-9._-]{0,126}",
        bad in any::<char>().prop_filter("outside the rule", |c| {
            !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        }),
        at in any::<proptest::sample::Index>(),
    ) {
        let mut chars: Vec<char> = name.chars().collect();
        chars.insert(at.index(chars.len() + 1), bad);
        let name: String = chars.into_iter().collect();
        prop_assert!(validate_job(&name).is_err(), "{:?}", name);
    }

    #[test]
    fn a_name_is_accepted_exactly_when_it_matches_the_rule(
        chars in proptest::collection::vec(
            prop_oneof![
                6 => proptest::char::ranges(vec!['a'..='z', 'A'..='Z', '0'..='9'].into()),
                3 => proptest::sample::select(vec!['.', '_', '-']),
                1 => any::<char>(),
            ],
            0..=132,
        )
    ) {
        let name: String = chars.into_iter().collect();
        let class = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        let matches_rule = name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
            && name.chars().count() <= 128
            && name.chars().all(class);
        prop_assert_eq!(validate_job(&name).is_ok(), matches_rule, "{:?}", name);
    }

    #[test]
    fn any_interval_text_parses_in_range_or_is_refused(text in any::<String>()) {
        if let Ok(seconds) = parse_interval(&text) {
            prop_assert!((INTERVAL_MIN..=INTERVAL_MAX).contains(&seconds));
        }
    }

    #[test]
    fn whole_seconds_round_trip(seconds in BARE_SECONDS_MIN..=INTERVAL_MAX) {
        prop_assert_eq!(parse_interval(&seconds.to_string()).unwrap(), seconds);
    }

    #[test]
    fn a_bare_number_below_a_minute_is_refused(seconds in INTERVAL_MIN..BARE_SECONDS_MIN) {
        let reason = parse_interval(&seconds.to_string()).unwrap_err().to_string();
        prop_assert!(reason.contains("shorter than cron's minute"), "{}", reason);
    }

    #[test]
    fn the_compact_format_parses_back_up_to_its_two_units(seconds in INTERVAL_MIN..=INTERVAL_MAX) {
        const SIZES: [u64; 4] = [86_400, 3_600, 60, 1];
        let shown = format_duration(seconds);
        let parsed = parse_interval(&shown.replace(' ', "")).unwrap();
        // The format keeps the two largest units: what it drops is less
        // than the second one.
        let first = SIZES.iter().position(|s| seconds >= *s).unwrap();
        let dropped_below = SIZES.get(first + 1).copied().unwrap_or(1);
        prop_assert!(parsed <= seconds, "{} -> {:?} -> {}", seconds, shown, parsed);
        prop_assert!(seconds - parsed < dropped_below, "{} -> {:?} -> {}", seconds, shown, parsed);
        if seconds % dropped_below == 0 {
            prop_assert_eq!(parsed, seconds, "{:?}", shown);
        }
    }

    #[test]
    fn with_no_new_heartbeat_the_status_never_improves(
        interval in INTERVAL_MIN..=INTERVAL_MAX,
        failed in any::<bool>(),
        factor in 1.01f64..10.0,
        mut offsets in proptest::collection::vec(0.0f64..30.0, 2..8),
    ) {
        // Built from its JSON form, so that fields added later keep their
        // defaults.
        let record = Heartbeat::from_json(
            format!(
                r#"{{"version":1,"job":"job","timestamp":"2026-11-22T03:00:00Z","interval_seconds":{interval},"host":"web1","pid":1,"status":"{}"}}"#,
                if failed { "fail" } else { "ok" }
            )
            .as_bytes(),
        )
        .unwrap();
        let entry = Entry {
            path: PathBuf::from("job.last"),
            job: "job".to_owned(),
            subdir: None,
            content: Ok(Content::Record(record)),
        };
        // Instants from the write on, in multiples of the interval.
        offsets.sort_by(f64::total_cmp);
        let severity = |status: Status| match status {
            Status::Ok => 0,
            Status::Late | Status::Failed => 1,
            Status::Stale => 2,
            other => panic!("a readable, past heartbeat cannot be {other}"),
        };
        let mut worst = 0;
        for offset in offsets {
            let seconds = (offset * interval as f64) as i64;
            let p = Policy { factor, ..policy(t0() + Duration::seconds(seconds)) };
            let status = judge(&Job::of(&entry), &p).status;
            if failed {
                prop_assert_ne!(status, Status::Ok);
                prop_assert_ne!(status, Status::Late);
            }
            prop_assert!(severity(status) >= worst, "{} at +{}s after worse", status, seconds);
            worst = severity(status);
        }
    }
}

/// The rule `dedup` documents, one row at a time: a row whose job and host
/// an earlier kept row has is merged into it, the newer heartbeat winning.
fn dedup_by_the_rule(all: Vec<Judgement>, local: &str) -> Vec<Judgement> {
    let mut kept: Vec<Judgement> = Vec::new();
    for j in all {
        let same = kept
            .iter()
            .position(|k| k.job == j.job && host_of(k, local) == host_of(&j, local));
        let Some(at) = same else {
            kept.push(j);
            continue;
        };
        let winner = &mut kept[at];
        let loser = if j.timestamp > winner.timestamp {
            std::mem::replace(winner, j)
        } else {
            j
        };
        winner.duplicates.extend(loser.path);
        winner.duplicates.extend(loser.duplicates);
    }
    kept
}

proptest! {
    #[test]
    fn dedup_keeps_one_row_per_host_and_job_by_the_rule(
        rows in proptest::collection::vec((0u8..4, proptest::option::of(0u8..3), proptest::option::of(0i64..4)), 0..40)
    ) {
        let all: Vec<Judgement> = rows
            .iter()
            .enumerate()
            .map(|(i, (job, host, minutes))| {
                let mut j = Judgement::missing(&format!("job{job}"));
                j.host = host.map(|h| format!("host{h}"));
                j.timestamp = minutes.map(|m| t0() + Duration::minutes(m));
                j.path = Some(PathBuf::from(format!("dir{i}/job{job}.last")));
                j
            })
            .collect();
        let want = dedup_by_the_rule(all.clone(), "host0");
        let got = dedup(all, "host0");
        let show = |v: &[Judgement]| -> Vec<String> {
            v.iter()
                .map(|j| format!("{} {:?} {:?} {:?}", j.job, j.host, j.path, j.duplicates))
                .collect()
        };
        prop_assert_eq!(show(&got), show(&want));
    }
}

/// Characters no output may carry raw: controls (the renderers' own line
/// breaks aside), line and paragraph separators, and the invisible
/// bidirectional and zero-width characters that make text look other than
/// it is. Listed here, not taken from the library, so the test does not
/// trust what it checks.
fn forbidden(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(
            c,
            '\u{ad}'
                | '\u{61c}'
                | '\u{180e}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{feff}'
        )
}

/// Text rich in the characters above, mixed with ordinary ones.
fn hostile() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            3 => proptest::char::range('a', 'z'),
            2 => proptest::sample::select(vec![
                '\u{1b}', '\r', '\n', '\t', '\u{7}', '\u{0}', '\u{7f}', '\u{85}', '\u{9b}',
                '\u{202e}', '\u{202d}', '\u{2066}', '\u{2069}', '\u{61c}', '\u{200b}',
                '\u{200d}', '\u{feff}', '\u{2028}', '\u{ad}', '|', '<', '&', '`', '"', '*',
            ]),
            1 => any::<char>(),
        ],
        0..40,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

fn raw_forbidden(output: &[u8]) -> Vec<char> {
    String::from_utf8_lossy(output)
        .chars()
        .filter(|c| forbidden(*c))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn no_renderer_lets_a_control_bidi_or_zero_width_character_through(
        job in hostile(),
        message in hostile(),
        host in hostile(),
        reason in hostile(),
        status in proptest::sample::select(Status::ALL.to_vec()),
    ) {
        use crate::report::{self, Report};
        let mut j = Judgement::missing(&job);
        j.status = status;
        j.host = Some(host.clone());
        j.message = Some(message);
        j.reason = Some(reason);
        j.timestamp = Some(t0());
        j.path = Some(PathBuf::from(format!("/hb/{job}.last")));
        let jobs = vec![j];
        let dirs = vec![PathBuf::from(format!("/hb/{host}"))];
        let rep = Report { checked_at: t0(), factor: 2.0, jobs: &jobs, dirs: &dirs, fleet: &crate::fleet::NONE, causes: &[] };
        let mut outputs: Vec<(&str, Vec<u8>)> = Vec::new();
        let mut out = Vec::new();
        report::write_lines(&mut out, &jobs, &crate::fleet::NONE, true).unwrap();
        outputs.push(("hb-check text", out));
        for (name, layout) in [("panel", true), ("report", false)] {
            let mut out = Vec::new();
            report::write_page(&mut report::TextPage(&mut out, report::Text { unicode: true, colour: false }), &host, &rep, layout).unwrap();
            outputs.push((name, out));
            let mut out = Vec::new();
            report::write_page(&mut report::Markdown(&mut out), &host, &rep, layout).unwrap();
            outputs.push(("markdown", out));
            let mut out = Vec::new();
            report::write_page(&mut report::Html(&mut out), &host, &rep, layout).unwrap();
            outputs.push(("html", out));
        }
        let mut out = Vec::new();
        report::write_json(&mut out, &rep, &[], &[], None).unwrap();
        outputs.push(("json", out));
        let mut out = Vec::new();
        crate::metrics::write_prometheus(&mut out, &rep).unwrap();
        outputs.push(("prometheus", out));
        outputs.push((
            "issue body",
            crate::tracker::text::body(&host, &jobs, &crate::fleet::NONE, t0()).into_bytes(),
        ));
        // The issue title names the checking host, which `--host` and the
        // host-name lookup both validate; it is not in this list.
        for (name, bytes) in outputs {
            let raw = raw_forbidden(&bytes);
            prop_assert!(
                raw.is_empty(),
                "{} lets {:?} through: {:?}",
                name,
                raw,
                String::from_utf8_lossy(&bytes)
            );
        }
    }
}
