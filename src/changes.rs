//! `hb-check --changes-only`: print the verdict only when some job's status changed since the last
//! printed run, and again every remind period while something alerts, as [`crate::alert`] says. The
//! state is a small JSON file beside the run lock; a lost or corrupt state means "print".

use crate::judge::{Judgement, Status};

/// A job's key in the change engine's state: `host/job`, or the job.
pub(crate) fn key(j: &Judgement) -> String {
    crate::cause::key(j.host.as_deref(), &j.job)
}

/// The name [`crate::report::content::job_name`] gives the job with `key`.
pub(crate) fn name_of<'a>(key: &'a str, jobs: &[Judgement]) -> &'a str {
    let first_host = jobs.iter().find_map(|j| j.host.as_deref());
    let host = first_host.filter(|_| !crate::report::content::several_hosts(jobs));
    (host.and_then(|host| key.strip_prefix(host)?.strip_prefix('/'))).unwrap_or(key)
}

/// In a run that prints, each job alerting no more: `backup ok: recovered (was stale)`.
pub(crate) fn recovered_lines(assessed: &crate::alert::Assessment, jobs: &[Judgement]) -> String {
    let now = &assessed.next.jobs;
    let line = |(key, was): &(String, Status)| {
        // The state's jobs are sorted.
        let at = now.binary_search_by(|(k, _)| k.cmp(key)).ok();
        let key = crate::escape::terminal(name_of(key, jobs));
        match at.map(|at| now[at].1) {
            Some(Status::Paused) => format!("{key} paused (was {was})\n"),
            Some(now) => format!("{key} {now}: recovered (was {was})\n"),
            None => format!("{key} gone: no longer reported (was {was})\n"),
        }
    };
    let left = assessed.diff.left.iter().filter(|_| assessed.deliver);
    left.map(line).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{Assessment, State};
    use chrono::{DateTime, TimeZone, Utc};

    fn decide(
        last: Option<&State>,
        now: &[(String, Status)],
        at: DateTime<Utc>,
        remind: u64,
    ) -> Assessment {
        crate::alert::assess(last, now.to_vec(), at, remind)
    }

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + seconds, 0).unwrap()
    }

    fn state(printed: i64, jobs: &[(&str, Status)]) -> State {
        State {
            version: crate::alert::STATE_VERSION,
            printed_at: at(printed),
            jobs: jobs.iter().map(|(k, s)| ((*k).to_owned(), *s)).collect(),
        }
    }

    #[test]
    fn unchanged_runs_stay_quiet_until_the_reminder() {
        let bad = [("backup".to_owned(), Status::Stale)];
        let last = state(0, &[("backup", Status::Stale)]);
        assert!(decide(None, &bad, at(0), 86_400).deliver, "no state prints");
        assert!(!decide(Some(&last), &bad, at(900), 86_400).deliver);
        assert!(
            decide(Some(&last), &bad, at(86_400), 86_400).deliver,
            "remind"
        );
        assert!(
            decide(Some(&last), &bad, at(-60), 86_400).deliver,
            "clock back"
        );
        let fine = [("backup".to_owned(), Status::Ok)];
        let last_ok = state(0, &[("backup", Status::Ok)]);
        assert!(
            !decide(Some(&last_ok), &fine, at(900_000), 86_400).deliver,
            "nothing bad, no reminder"
        );
    }

    #[test]
    fn warnings_are_printed_when_they_change_but_not_reminded() {
        // One definition of bad for the output and the alert issue: a late
        // or failing job warns, it does not alert.
        let late = [("backup".to_owned(), Status::Late)];
        let last = state(0, &[("backup", Status::Late)]);
        assert!(!decide(Some(&last), &late, at(86_400), 86_400).deliver);
        let failing = [("backup".to_owned(), Status::Failing)];
        let last = state(0, &[("backup", Status::Failing)]);
        assert!(!decide(Some(&last), &failing, at(86_400), 86_400).deliver);
        let fixed = [("backup".to_owned(), Status::Ok)];
        let d = decide(Some(&last), &fixed, at(60), 86_400);
        assert!(d.deliver, "a change prints");
        assert_eq!(
            recovered_lines(&d, &[]),
            "",
            "a warning that ends is no recovery"
        );
    }

    #[test]
    fn a_change_prints_and_names_the_recovered() {
        let last = state(
            0,
            &[
                ("a", Status::Stale),
                ("b", Status::Failed),
                ("c", Status::Late),
            ],
        );
        let now = [("a".to_owned(), Status::Ok), ("c".to_owned(), Status::Late)];
        let d = decide(Some(&last), &now, at(60), 86_400);
        assert!(d.deliver);
        assert_eq!(
            recovered_lines(&d, &[]),
            "a ok: recovered (was stale)\nb gone: no longer reported (was failed)\n"
        );
    }

    #[test]
    fn a_recovered_job_has_the_name_the_rest_of_the_run_gives_it() {
        let last = state(0, &[("vm/sync-mirror", Status::Failed)]);
        let now = [("vm/sync-mirror".to_owned(), Status::Ok)];
        let d = decide(Some(&last), &now, at(60), 86_400);
        let row = |host: &str| Judgement {
            host: Some(host.to_owned()),
            ..Judgement::missing("sync-mirror")
        };
        assert_eq!(
            recovered_lines(&d, &[row("vm")]),
            "sync-mirror ok: recovered (was failed)\n",
            "one host: the job alone, as hb-check's other lines name it"
        );
        assert_eq!(
            recovered_lines(&d, &[row("vm"), row("db")]),
            "vm/sync-mirror ok: recovered (was failed)\n",
            "several hosts: host/job"
        );
    }

    #[test]
    fn state_round_trips_and_garbage_is_none() {
        let s = state(0, &[("web1/a", Status::Paused)]);
        assert_eq!(State::parse(&crate::record::json_line(&s)), Some(s));
        assert_eq!(State::parse(b"{"), None);
        assert_eq!(
            State::parse(b"{\"version\":2,\"printed_at\":\"2027-01-15T08:00:00Z\",\"jobs\":[]}"),
            None
        );
    }
}
