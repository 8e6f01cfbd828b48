//! What moves a job's runs past its schedule's fires: a random delay (cronie's `RANDOM_DELAY`,
//! anacron's delays), anacron's period and its catch-up after the host was down.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use super::{Schedule, Source};

/// How a job's runs follow its fires; the default (a plain cron line's) starts one at each.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Timing {
    /// The most seconds after its fire a run may start.
    pub delay: u64,
    /// What sets the delay and where, for the lint (`RANDOM_DELAY=45`).
    pub delay_from: Option<(Source, String)>,
    /// Anacron's period: the run after one on day D comes on day D + period, at that day's fire.
    pub period: Option<Period>,
    /// Anacron's run at boot, when the host was down at a fire.
    pub catch_up: Option<CatchUp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Period {
    /// A number of days (`1`, `7`, `@daily`, `@weekly`).
    Days(u32),
    /// `@monthly`: once a month, whatever its length.
    Monthly,
    Yearly,
}

impl Period {
    /// The days from a run on `day` to the next (the length of its month or year).
    pub(crate) fn days_after(self, day: NaiveDate) -> u32 {
        match self {
            Period::Days(n) => n,
            Period::Monthly => u32::from(day.num_days_in_month()),
            Period::Yearly => 365 + u32::from(day.leap_year()),
        }
    }

    pub(crate) fn longest_days(self) -> u32 {
        match self {
            Period::Days(n) => n,
            Period::Monthly => 31,
            Period::Yearly => 366,
        }
    }
}

/// When anacron catches up: at boot within its start hours, else at its next hourly start.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CatchUp {
    pub booted: DateTime<Utc>,
    /// anacron's hourly starts within `START_HOURS_RANGE`.
    pub starts: Schedule,
    /// The hours of the day anacron starts jobs in, `[from, to)`.
    pub hours: (u32, u32),
}

pub(crate) fn minutes(text: &str, max: u64) -> Option<u64> {
    text.trim().parse::<u64>().ok().filter(|m| *m <= max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::Expectation;

    #[test]
    fn a_delay_is_one_warning_until_the_interval_allows_for_it() {
        let at = Source {
            file: "/etc/anacrontab".into(),
            line: 4,
        };
        let job = |interval| Expectation {
            job: "backup".to_owned(),
            interval,
            schedule: Schedule::parse("30 7 * * *", chrono_tz::Tz::UTC).ok(),
            source: Source {
                file: "/etc/cron.daily/backup".into(),
                line: 2,
            },
            user: None,
            since: None,
            needs: Vec::new(),
            timing: Timing {
                delay: 55 * 60,
                delay_from: Some((at.clone(), "RANDOM_DELAY=45".to_owned())),
                period: Some(Period::Days(1)),
                catch_up: None,
            },
        };
        let now = DateTime::parse_from_rfc3339("2026-03-01T00:00:00Z")
            .unwrap()
            .to_utc();
        let warnings = crate::schedule::lint(&[job(86_400)], 2.0, now);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].message.ends_with("declare 1d55m"),
            "{}",
            warnings[0]
        );
        assert!(warnings[0].message.contains("set at /etc/anacrontab:4"));
        let declared = crate::schedule::lint(&[job(86_400 + 55 * 60)], 2.0, now);
        assert!(declared.is_empty(), "{declared:?}");
    }

    #[test]
    fn a_month_is_the_length_of_the_month_of_the_run() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(Period::Monthly.days_after(day(2026, 2, 10)), 28);
        assert_eq!(Period::Monthly.days_after(day(2026, 12, 31)), 31);
        assert_eq!(Period::Yearly.days_after(day(2028, 3, 1)), 366);
        assert_eq!(Period::Days(7).days_after(day(2026, 3, 1)), 7);
    }
}
