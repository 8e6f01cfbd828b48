//! Where a job's timing puts its runs: anacron counts days from the last
//! run and catches up after the host was down; random delays push each
//! start past its fire. Pure, like the rest of the judge.

use chrono::{DateTime, Timelike, Utc};

use crate::schedule::timing::CatchUp;
use crate::schedule::{Schedule, Timing};

/// The fire a run that started at `at` belongs to, and the fire of the run
/// after it. Anacron counts days: a run belongs to its own day's fire
/// (even one it came before, catching up at boot), and the next one comes
/// the period's days later.
pub(crate) fn fires(
    schedule: &Schedule,
    timing: &Timing,
    at: DateTime<Utc>,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let Some(period) = timing.period else {
        let fire = schedule.latest_at_or_before(at)?;
        return Some((fire, schedule.next_after(fire)?));
    };
    let zone = schedule.zone();
    let day = at.with_timezone(&zone).date_naive();
    let fire = match schedule.latest_at_or_before(at) {
        Some(f) if f.with_timezone(&zone).date_naive() == day => f,
        _ => schedule.next_after(at)?,
    };
    let mut next = fire;
    for _ in 0..period.days_after(day) {
        next = schedule.next_after(next)?;
    }
    Some((fire, next))
}

/// The latest a run due at the fire `next` may start: at the fire, or,
/// when anacron catches up and the host booted after the fire, at
/// anacron's first start after the boot; then the delay in full.
pub(crate) fn latest_start(next: DateTime<Utc>, timing: &Timing) -> Option<DateTime<Utc>> {
    let start = match timing.catch_up.as_ref().filter(|c| c.booted > next) {
        Some(c) => start_after_boot(c)?,
        None => next,
    };
    start.checked_add_signed(super::schedule::span(timing.delay)?)
}

/// When a run that reported at `reported` for the fire `fire` was started
/// by anacron, before its delay: at anacron's first start after the boot
/// when the host booted between the two (a catch-up), else at the fire.
pub(crate) fn started_for(
    fire: DateTime<Utc>,
    reported: DateTime<Utc>,
    timing: &Timing,
) -> DateTime<Utc> {
    timing
        .catch_up
        .as_ref()
        .filter(|c| c.booted > fire && c.booted <= reported)
        .and_then(start_after_boot)
        .map_or(fire, |start| start.min(reported))
}

/// anacron's first start after the boot: the boot itself within its start
/// hours, else its next hourly start.
fn start_after_boot(c: &CatchUp) -> Option<DateTime<Utc>> {
    let hour = c.booted.with_timezone(&c.starts.zone()).hour();
    if (c.hours.0..c.hours.1).contains(&hour) {
        Some(c.booted)
    } else {
        c.starts.next_after(c.booted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::timing::Period;
    use chrono_tz::Tz;

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn anacron(period: Period, booted: &str) -> (Schedule, Timing) {
        let timing = Timing {
            delay: 55 * 60,
            period: Some(period),
            catch_up: Some(CatchUp {
                booted: utc(booted),
                starts: Schedule::parse("30 7-21 * * *", Tz::UTC).unwrap(),
                hours: (3, 22),
            }),
            ..Timing::default()
        };
        (Schedule::parse("30 7 * * *", Tz::UTC).unwrap(), timing)
    }

    #[test]
    fn a_weekly_job_comes_seven_days_after_its_day_whenever_it_ran() {
        let (s, t) = anacron(Period::Days(7), "2026-01-01T00:00:00Z");
        for ran in ["2026-03-02T08:10:00Z", "2026-03-02T04:00:00Z"] {
            let (fire, next) = fires(&s, &t, utc(ran)).unwrap();
            assert_eq!(fire, utc("2026-03-02T07:30:00Z"), "{ran}");
            assert_eq!(next, utc("2026-03-09T07:30:00Z"), "{ran}");
        }
        let (s, t) = anacron(Period::Monthly, "2026-01-01T00:00:00Z");
        let (_, next) = fires(&s, &t, utc("2026-02-10T08:00:00Z")).unwrap();
        assert_eq!(next, utc("2026-03-10T07:30:00Z"));
    }

    #[test]
    fn a_host_down_at_the_fire_moves_the_start_to_anacron_s_start_after_boot() {
        let next = utc("2026-03-09T07:30:00Z");
        // Up all along: the fire plus the delay.
        let (_, t) = anacron(Period::Days(1), "2026-01-01T00:00:00Z");
        assert_eq!(latest_start(next, &t), Some(utc("2026-03-09T08:25:00Z")));
        // Booted at 10:00, inside the start hours: anacron runs at boot.
        let (_, t) = anacron(Period::Days(1), "2026-03-09T10:00:00Z");
        assert_eq!(latest_start(next, &t), Some(utc("2026-03-09T10:55:00Z")));
        // Booted at 22:10, past START_HOURS_RANGE: the next morning's start.
        let (_, t) = anacron(Period::Days(1), "2026-03-09T22:10:00Z");
        assert_eq!(latest_start(next, &t), Some(utc("2026-03-10T08:25:00Z")));
    }

    #[test]
    fn a_run_missed_while_the_host_was_down_is_due_after_the_boot() {
        use crate::judge::schedule::{due, due_rule};
        use crate::judge::Status;
        use crate::record::RunStatus;
        let ran = utc("2026-03-08T08:00:00Z");
        // Down from 07:00 to 11:00 on the 9th: due at 11:00 + 55 min.
        let (s, t) = anacron(Period::Days(1), "2026-03-09T11:00:00Z");
        let d = due(&s, ran, None, &[], Some(3600), &t).unwrap();
        assert_eq!(d.due_at, utc("2026-03-09T11:55:00Z"));
        let at = |now| due_rule(&d, utc(now), RunStatus::Ok, Tz::UTC).0;
        assert_eq!(at("2026-03-09T12:55:00Z"), Status::Ok);
        assert_eq!(at("2026-03-09T12:55:01Z"), Status::Stale);
        // Up all along, the same run is stale an hour after 08:25.
        let (s, t) = anacron(Period::Days(1), "2026-01-01T00:00:00Z");
        let d = due(&s, ran, None, &[], Some(3600), &t).unwrap();
        assert_eq!(d.due_at, utc("2026-03-09T08:25:00Z"));
        // The catch-up run that reported at 11:56 after that boot lags 56
        // minutes from anacron's start at the boot, not 4h26m from the fire.
        let (s, t) = anacron(Period::Days(1), "2026-03-09T11:00:00Z");
        let d = due(&s, utc("2026-03-09T11:56:00Z"), None, &[], None, &t).unwrap();
        assert_eq!(d.due_at, utc("2026-03-10T08:26:00Z"));
    }
}
