//! Lint of the hb-write lines: what will make a job look late, alert late,
//! or never report, and `--needs` that name no job or go round in a cycle.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Utc};

use super::{Expectation, Source};
use crate::record::{format_duration, user_job};

/// How much later than by schedule an alert by interval is worth a warning.
const LATE_ALERT_WARNING_SECONDS: u64 = 86_400;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Lint {
    pub source: Source,
    pub message: String,
}

impl Lint {
    pub(crate) fn new(source: Source, message: String) -> Lint {
        Lint { source, message }
    }

    pub(crate) fn file(file: &std::path::Path, message: String) -> Lint {
        Lint::new(Source::new(file, 0), message)
    }
}

impl fmt::Display for Lint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = format!("{}: {}", self.source, self.message);
        f.write_str(&crate::escape::terminal(&text))
    }
}

/// The most fires one lint walks to measure gaps, bounding its time.
const LINT_FIRES_MAX: usize = 200_000;

/// Warnings across `found`: a job on two lines, intervals unfit for a year of fires from `at`.
pub(crate) fn lint(found: &[Expectation], factor: f64, at: DateTime<Utc>) -> Vec<Lint> {
    let first = super::first_lines(found);
    let (mut warnings, mut gaps, mut budget) = (Vec::new(), HashMap::new(), LINT_FIRES_MAX);
    let mut unmeasured: Option<(&Source, usize)> = None;
    for (i, e) in found.iter().enumerate() {
        let first_i = first[&user_job(e.user.as_deref(), &e.job)];
        if first_i != i {
            let (job, first_at) = (&e.job, &found[first_i].source);
            // Two calls on one line, or one script that two crontab lines run through run-parts.
            let message = if *first_at == e.source {
                format!("job `{job}` comes twice from this line: it is written twice on it, or two crontab lines run its script; each job needs its own name and one line that runs it")
            } else {
                format!("job `{job}` is also written on {first_at}; each job needs its own name")
            };
            warnings.push(Lint::new(e.source.clone(), message));
        }
        let Some(schedule) = &e.schedule else {
            continue;
        };
        let key = (schedule.text().to_owned(), schedule.zone());
        let gap = match gaps.get(&key) {
            Some(gap) => *gap,
            None if budget == 0 => {
                let (_, count) = unmeasured.get_or_insert((&e.source, 0));
                *count += 1;
                continue;
            }
            None => {
                let (gap, walked) = schedule.longest_gap_within(at, budget);
                budget -= walked.min(budget);
                gaps.insert(key, gap);
                gap
            }
        };
        // anacron's period, not its daily start, spaces its runs.
        let period = (e.timing.period).map(|p| u64::from(p.longest_days()) * 86_400);
        let Some(gap) = period.or(gap) else {
            continue;
        };
        // A delay widens the gap; an interval short of that gets the delay's warning only.
        match delay_lint(e, gap) {
            Some(warning) => warnings.push(warning),
            None => warnings.extend(interval_lint(e, gap.saturating_add(e.timing.delay), factor)),
        }
    }
    if let Some((source, count)) = unmeasured {
        let why = format!("the intervals of {count} hb-write lines from here on were not checked against their schedules: a lint walks at most {LINT_FIRES_MAX} fires");
        warnings.push(Lint::file(&source.file, why));
    }
    warnings.extend(needs_lint(found, &first));
    warnings
}

/// The warning about an interval that does not fit fires `gap` seconds apart.
fn interval_lint(e: &Expectation, gap: u64, factor: f64) -> Option<Lint> {
    let interval_alert = (factor * e.interval as f64) as u64;
    let late = interval_alert.saturating_sub(gap) >= LATE_ALERT_WARNING_SECONDS;
    let (interval, job, declare) = (format_duration(e.interval), &e.job, exact(gap));
    let head = format!("the interval {interval} of job `{job}`");
    let message = if e.interval < gap {
        format!("{head} is shorter than the longest gap between its fires ({declare}), so judged by interval it looks late or stale between runs; declare {declare}")
    } else if e.interval > gap && late {
        format!("{head} is much longer than the longest gap between its fires ({declare}): judged by interval a missed run alerts only after {}; declare {declare}", format_duration(interval_alert))
    } else {
        return None;
    };
    Some(Lint::new(e.source.clone(), message))
}

/// The warning about a delay that widens the deadline of `e` past its interval.
fn delay_lint(e: &Expectation, gap: u64) -> Option<Lint> {
    let timing = &e.timing;
    let (at, what) = timing.delay_from.as_ref().filter(|_| timing.delay > 0)?;
    let widest = gap.saturating_add(timing.delay);
    (widest > e.interval).then(|| {
        let (delay, declare) = (format_duration(timing.delay), exact(widest));
        let (job, interval) = (&e.job, format_duration(e.interval));
        let why = format!("job `{job}` may start up to {delay} after its fire ({what}, set at {at}), so a missed run is told only {declare} after the fire before it, plus grace: later than its interval {interval} suggests; declare {declare}");
        Lint::new(e.source.clone(), why)
    })
}

/// A duration exactly, in the form hb-write takes: `1d`, `2d5m`, `1h30m`.
pub(crate) fn exact(seconds: u64) -> String {
    if seconds == 0 {
        return "0s".to_owned();
    }
    let parts = [
        (seconds / 86_400, "d"),
        (seconds % 86_400 / 3_600, "h"),
        (seconds % 3_600 / 60, "m"),
        (seconds % 60, "s"),
    ];
    let parts = parts.iter().filter(|(n, _)| *n > 0);
    parts.map(|(n, unit)| n.to_string() + unit).collect()
}

/// `--needs` warnings: each unknown job (of the same user) where named, a cycle once where closed.
fn needs_lint(found: &[Expectation], first: &HashMap<String, usize>) -> Vec<Lint> {
    let mut warnings = Vec::new();
    let needs_of = |e: &Expectation| -> Vec<String> {
        let user = e.user.as_deref();
        e.needs.iter().map(|n| user_job(user, n)).collect()
    };
    for e in found {
        for (name, key) in e.needs.iter().zip(needs_of(e)) {
            if !first.contains_key(&key) {
                let why = format!("job `{}` needs `{name}`, which no crontab read runs with hb-write; name a job that writes heartbeats, or drop --needs", e.job);
                warnings.push(Lint::new(e.source.clone(), why));
            }
        }
    }
    // Depth-first by name: absent, on the path (false) or done (true).
    let mut state: HashMap<&str, bool> = HashMap::new();
    // The path walked with the needs left, from a root needing all (sorted: first pops first).
    let mut names: Vec<String> = first.keys().cloned().collect();
    names.sort_by(|a, b| b.cmp(a));
    let mut path: Vec<(&str, Vec<String>)> = vec![("", names)];
    while let Some((name, todo)) = path.last_mut() {
        let name: &str = name;
        let Some(next) = todo.pop() else {
            state.insert(name, true);
            path.pop();
            continue;
        };
        let Some((key, &line)) = first.get_key_value(&next) else {
            continue;
        };
        match state.get(key.as_str()) {
            Some(true) => {}
            Some(false) => {
                let from = path.iter().position(|(n, _)| *n == key.as_str());
                let mut circle: Vec<&str> =
                    path[from.unwrap_or(0)..].iter().map(|(n, _)| *n).collect();
                circle.push(key);
                let circle = circle.join(" -> ");
                let why = format!("the --needs of these jobs go round in a cycle ({circle}): a job in it can never be told apart from its cause; drop one --needs");
                warnings.push(Lint::new(found[first[name]].source.clone(), why));
            }
            None => {
                state.insert(key, false);
                path.push((key, needs_of(&found[line])));
            }
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::Schedule;
    use chrono_tz::Tz;
    use std::path::PathBuf;

    fn job(name: &str, when: &str, interval: u64, line: usize) -> Expectation {
        Expectation {
            job: name.to_owned(),
            interval,
            schedule: Some(Schedule::parse(when, Tz::UTC).unwrap()),
            source: Source {
                file: PathBuf::from("tab"),
                line,
            },
            user: None,
            since: None,
            timing: crate::schedule::Timing::default(),
            needs: Vec::new(),
        }
    }

    fn at() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn only_unfit_intervals_are_named_with_file_and_line() {
        // The job, its schedule and interval, and what its warning says ("": none).
        let cases = [
            ("a", "0 3 * * *", 86_400, ""),
            ("b", "0 3 * * 1-5", 3 * 86_400, ""),
            ("c", "*/5 * * * *", 300, ""),
            ("d", "0 * * * *", 7200, ""),
            (
                "x",
                "0 3 * * *",
                300,
                "tab:5: the interval 5m of job `x` is shorter",
            ),
            ("y", "0 3 * * *", 3 * 86_400, "only after 6d"),
            ("w", "0 3 * * 1-5", 86_400, "3d"),
        ];
        let found: Vec<Expectation> = (cases.iter().zip(1..))
            .map(|(&(name, when, interval, _), line)| job(name, when, interval, line))
            .collect();
        let warnings = lint(&found, 2.0, at());
        let lines: Vec<usize> = warnings.iter().map(|w| w.source.line).collect();
        assert_eq!(lines, [5, 6, 7], "{warnings:#?}");
        for (warning, (.., said)) in warnings.iter().zip(&cases[4..]) {
            assert!(warning.to_string().contains(said), "{warning}");
        }
    }

    #[test]
    fn suggestions_are_exact_and_hb_write_reads_them() {
        for (seconds, text) in [
            (86_400, "1d"),
            (2 * 86_400 + 300, "2d5m"),
            (5400, "1h30m"),
            (61, "1m1s"),
        ] {
            assert_eq!(exact(seconds), text);
            assert_eq!(crate::record::parse_interval(text).unwrap(), seconds);
        }
        let found = [job("b", "*/5 * * * 1-5", 300, 2)];
        let warnings = lint(&found, 2.0, at());
        assert!(
            warnings[0].message.ends_with("declare 2d5m"),
            "{}",
            warnings[0]
        );
    }

    #[test]
    fn the_same_name_in_two_users_crontabs_is_two_jobs() {
        let mut alice = job("backup", "0 3 * * *", 86_400, 1);
        alice.user = Some("alice".to_owned());
        let mut bob = job("backup", "0 3 * * *", 86_400, 1);
        bob.user = Some("bob".to_owned());
        let mut again = job("backup", "0 4 * * *", 86_400, 2);
        again.user = Some("bob".to_owned());
        let warnings = lint(&[alice, bob, again], 2.0, at());
        assert_eq!(warnings.len(), 1, "{warnings:#?}");
        assert_eq!(warnings[0].source.line, 2);
    }

    #[test]
    fn a_job_on_two_lines_is_named_at_the_second() {
        let found = [
            job("a", "0 3 * * *", 86_400, 1),
            job("a", "0 4 * * *", 86_400, 5),
        ];
        let warnings = lint(&found, 2.0, at());
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].source.line, 5);
        assert!(warnings[0].message.contains("tab:1"));
        // A script two run-parts lines run: the same place, not another line.
        let twice = lint(&[found[0].clone(), found[0].clone()], 2.0, at());
        let said = twice.iter().map(|w| w.message.as_str()).collect::<Vec<_>>();
        assert_eq!(said, ["job `a` comes twice from this line: it is written twice on it, or two crontab lines run its script; each job needs its own name and one line that runs it"]);
    }

    fn needing(name: &str, needs: &[&str], line: usize) -> Expectation {
        let mut e = job(name, "0 * * * *", 3600, line);
        e.schedule = None;
        e.source.file = PathBuf::from("/etc/cron.d/jobs");
        e.needs = needs.iter().map(|n| (*n).to_owned()).collect();
        e
    }

    #[test]
    fn a_cycle_is_told_once_at_the_line_that_closes_it() {
        let found = [
            needing("a", &["b"], 1),
            needing("b", &["c"], 2),
            needing("c", &["a"], 3),
            needing("d", &["a"], 4),
        ];
        let warnings = lint(&found, 2.0, at());
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        let text = warnings[0].to_string();
        assert!(text.starts_with("/etc/cron.d/jobs:3: "), "{text}");
        assert!(text.contains("(a -> b -> c -> a)"), "{text}");
    }

    #[test]
    fn a_job_that_needs_itself_or_an_unknown_job_is_told_with_its_line() {
        let warnings = lint(
            &[needing("a", &["a"], 7), needing("b", &["nfs"], 9)],
            2.0,
            at(),
        );
        let texts: Vec<String> = warnings.iter().map(ToString::to_string).collect();
        assert_eq!(texts.len(), 2, "{texts:?}");
        assert!(texts
            .iter()
            .any(|t| t.starts_with("/etc/cron.d/jobs:9: job `b` needs `nfs`")));
        assert!(texts
            .iter()
            .any(|t| t.starts_with("/etc/cron.d/jobs:7: ") && t.contains("(a -> a)")));
    }

    #[test]
    fn a_chain_without_a_cycle_is_quiet() {
        let found = [
            needing("a", &["b"], 1),
            needing("b", &["c"], 2),
            needing("c", &[], 3),
        ];
        assert!(lint(&found, 2.0, at()).is_empty());
    }
}
