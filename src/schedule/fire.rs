//! When a schedule fires: a five-field cron expression in a time zone,
//! evaluated by the `croner` crate, with cron's own reading of the fields.

use std::fmt;

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use croner::parser::{CronParser, Seconds, Year};
use croner::Cron;

/// How far apart fires are looked for: a schedule that fires less than once
/// in this span (`0 0 29 2 *` aside) is treated as never firing again.
const SEARCH_SPAN_DAYS: i64 = 5 * 366;

/// At most this many fires are walked to measure the gaps of a schedule.
const GAP_WALK_MAX: usize = 4000;

/// A schedule: when cron starts the job, in the zone the crontab names.
#[derive(Clone)]
pub struct Schedule {
    text: String,
    cron: Cron,
    zone: Tz,
}

impl fmt::Debug for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Schedule({:?} in {})", self.text, self.zone)
    }
}

impl PartialEq for Schedule {
    fn eq(&self, other: &Schedule) -> bool {
        self.text == other.text && self.zone == other.zone
    }
}

/// The five-field form of each macro cron knows, `@reboot` aside.
pub const MACROS: [(&str, &str); 7] = [
    ("@yearly", "0 0 1 1 *"),
    ("@annually", "0 0 1 1 *"),
    ("@monthly", "0 0 1 * *"),
    ("@weekly", "0 0 * * 0"),
    ("@daily", "0 0 * * *"),
    ("@midnight", "0 0 * * *"),
    ("@hourly", "0 * * * *"),
];

impl Schedule {
    /// Parses a five-field expression (`0 3 * * 1-5`) or a macro
    /// (`@daily`), as cron reads it, to be evaluated in `zone`.
    ///
    /// cron's rules, where the crate is more lenient or reads otherwise:
    /// exactly five fields; only numbers, names, `*`, `,`, `-` and `/`; and
    /// when day of month and day of week are both restricted a day matches
    /// either, unless one of them starts with `*` (as in `*/2`), when it
    /// must match both.
    pub fn parse(text: &str, zone: Tz) -> Result<Schedule, String> {
        let trimmed = text.trim();
        let expanded = if trimmed.starts_with('@') {
            let lower = trimmed.to_ascii_lowercase();
            MACROS
                .iter()
                .find(|(name, _)| *name == lower)
                .map(|(_, fields)| (*fields).to_owned())
                .ok_or_else(|| format!("`{trimmed}` is not a schedule macro cron knows"))?
        } else {
            trimmed.to_owned()
        };
        let fields: Vec<&str> = expanded.split_ascii_whitespace().collect();
        if fields.len() != 5 {
            return Err(format!(
                "`{trimmed}` has {} fields; cron wants five: minute hour day-of-month month day-of-week",
                fields.len()
            ));
        }
        const NAMES: [&str; 5] = ["minute", "hour", "day of month", "month", "day of week"];
        for (field, name) in fields.iter().zip(NAMES) {
            let named = matches!(name, "month" | "day of week");
            let ok = field.bytes().all(|b| {
                b.is_ascii_digit()
                    || matches!(b, b'*' | b',' | b'-' | b'/')
                    || (named && b.is_ascii_alphabetic() && !matches!(b, b'L' | b'l'))
            });
            if !ok || field.starts_with('/') {
                return Err(format!(
                    "the {name} field `{field}` of `{trimmed}` is not one cron reads: use numbers, names, `*`, `,`, `-` and `/`"
                ));
            }
        }
        let (dom, dow) = (fields[2], fields[4]);
        // Vixie cron ANDs the two day fields when either starts with `*`;
        // croner ORs unless a field is exactly `*`, and ANDs with a `+`.
        let and_days = dom != "*" && dow != "*" && (dom.starts_with('*') || dow.starts_with('*'));
        let pattern = if and_days {
            format!(
                "{} {} {} {} +{}",
                fields[0], fields[1], fields[2], fields[3], fields[4]
            )
        } else {
            fields.join(" ")
        };
        let cron = CronParser::builder()
            .seconds(Seconds::Disallowed)
            .year(Year::Disallowed)
            .sloppy_ranges(true)
            .build()
            .parse(&pattern)
            .map_err(|e| format!("`{trimmed}` is not a valid schedule: {e}"))?;
        // A pattern that never fires (`0 0 30 2 *`) is refused as cron's
        // users would want: the job would never run.
        let probe = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).single();
        let schedule = Schedule {
            text: trimmed.to_owned(),
            cron,
            zone,
        };
        if probe.and_then(|t| schedule.next_after(t)).is_none() {
            return Err(format!("`{trimmed}` never fires"));
        }
        Ok(schedule)
    }

    /// The schedule as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The time zone fires are computed in.
    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// The first fire strictly after `t`, within five years.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = t.with_timezone(&self.zone);
        let next = self.cron.find_next_occurrence(&local, false).ok()?;
        let next = next.with_timezone(&Utc);
        (next - t <= chrono::Duration::days(SEARCH_SPAN_DAYS)).then_some(next)
    }

    /// The latest fire at or before `t`, within five years.
    pub fn latest_at_or_before(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = t.with_timezone(&self.zone);
        let prev = self.cron.find_previous_occurrence(&local, true).ok()?;
        let prev = prev.with_timezone(&Utc);
        (t - prev <= chrono::Duration::days(SEARCH_SPAN_DAYS)).then_some(prev)
    }

    /// The longest gap between two fires in the year from `from` (or in the
    /// first few thousand fires), in seconds. A gap is measured as the
    /// shorter of real time and wall-clock time, so a daily job is 24 hours
    /// apart on the days the clocks change too.
    pub fn longest_gap(&self, from: DateTime<Utc>) -> Option<u64> {
        self.longest_gap_within(from, GAP_WALK_MAX).0
    }

    /// [`Schedule::longest_gap`], walking at most `fires` fires, and how
    /// many it walked. A walk cut short by `fires` measures nothing.
    pub fn longest_gap_within(&self, from: DateTime<Utc>, fires: usize) -> (Option<u64>, usize) {
        let Some(end) = from.checked_add_signed(chrono::Duration::days(366)) else {
            return (None, 0);
        };
        let Some(mut previous) = self.next_after(from) else {
            return (None, 1);
        };
        let mut longest = 0;
        let mut walked = 1;
        let mut complete = false;
        while walked < fires.min(GAP_WALK_MAX) {
            walked += 1;
            let Some(next) = self.next_after(previous) else {
                complete = true;
                break;
            };
            longest = longest.max(self.wall_gap(previous, next));
            if next > end {
                complete = true;
                break;
            }
            previous = next;
        }
        // The walk's own bound ends a dense schedule's walk early; only the
        // caller's smaller budget leaves it unmeasured.
        let measured = complete || fires >= GAP_WALK_MAX;
        ((measured && longest > 0).then_some(longest), walked)
    }

    /// Seconds from one fire to the next as the lint counts them: the
    /// shorter of real and wall-clock time.
    fn wall_gap(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> u64 {
        let real = (to - from).num_seconds();
        let wall = (to.with_timezone(&self.zone).naive_local()
            - from.with_timezone(&self.zone).naive_local())
        .num_seconds();
        real.min(wall).max(0).unsigned_abs()
    }

    /// Seconds from one fire to the next, in real time: the gap a job has
    /// to run in, which grace is taken from. (Wall-clock time would make
    /// the fire that re-enters the repeated hour in autumn 0 seconds after
    /// the one before it.)
    pub fn gap(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> u64 {
        (to - from).num_seconds().max(0).unsigned_abs()
    }
}

/// Parses a time zone name from the tz database (`Europe/Berlin`, `UTC`);
/// a leading `:` (as POSIX allows in `TZ`) is ignored.
pub fn parse_zone(name: &str) -> Result<Tz, String> {
    let name = name.trim();
    let name = name.strip_prefix(':').unwrap_or(name);
    name.parse::<Tz>()
        .map_err(|_| format!("`{name}` is not a time zone of the tz database"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn daily(text: &str, zone: &str) -> Schedule {
        Schedule::parse(text, parse_zone(zone).unwrap()).unwrap()
    }

    #[test]
    fn next_and_previous_fires_in_utc() {
        let s = daily("0 3 * * *", "UTC");
        let t = utc("2026-11-22T03:00:00Z");
        assert_eq!(s.next_after(t), Some(utc("2026-11-23T03:00:00Z")));
        assert_eq!(s.latest_at_or_before(t), Some(t));
        let just_before = utc("2026-11-22T02:59:59Z");
        assert_eq!(
            s.latest_at_or_before(just_before),
            Some(utc("2026-11-21T03:00:00Z"))
        );
    }

    #[test]
    fn macros_expand_as_cron_does() {
        let s = daily("@hourly", "UTC");
        assert_eq!(
            s.next_after(utc("2026-11-22T03:10:00Z")),
            Some(utc("2026-11-22T04:00:00Z"))
        );
        let m = daily("@MIDNIGHT", "UTC");
        assert_eq!(
            m.next_after(utc("2026-11-22T03:10:00Z")),
            Some(utc("2026-11-23T00:00:00Z"))
        );
        assert!(Schedule::parse("@fortnightly", Tz::UTC).is_err());
    }

    #[test]
    fn day_fields_follow_vixie() {
        // Both restricted: either matches. 2026-11-01 is a Sunday.
        let either = daily("0 0 1 * 1", "UTC");
        assert_eq!(
            either.next_after(utc("2026-10-31T12:00:00Z")),
            Some(utc("2026-11-01T00:00:00Z"))
        );
        assert_eq!(
            either.next_after(utc("2026-11-01T00:00:00Z")),
            Some(utc("2026-11-02T00:00:00Z"))
        );
        // A day field starting with `*` makes cron match both.
        let both = daily("0 0 */2 * 1", "UTC");
        // Mondays on odd days of month: 2026-11-09 is the first after 11-02.
        assert_eq!(
            both.next_after(utc("2026-11-02T00:00:00Z")),
            Some(utc("2026-11-09T00:00:00Z"))
        );
        // Weekdays: Friday's fire is followed by Monday's.
        let weekdays = daily("0 3 * * 1-5", "UTC");
        assert_eq!(
            weekdays.next_after(utc("2026-11-20T03:00:00Z")),
            Some(utc("2026-11-23T03:00:00Z"))
        );
        assert_eq!(
            weekdays.longest_gap(utc("2026-11-01T00:00:00Z")),
            Some(3 * 86_400)
        );
    }

    #[test]
    fn what_cron_refuses_is_refused() {
        for bad in [
            "0 3 * *",
            "0 0 3 * * *",
            "0 3 L * *",
            "0 3 * * 5L",
            "0 3 15W * *",
            "0 3 * * 1#2",
            "0 3 ? * *",
            "61 3 * * *",
            "/5 * * * *",
            "0 0 30 2 *",
            "",
        ] {
            assert!(Schedule::parse(bad, Tz::UTC).is_err(), "{bad:?}");
        }
        for good in [
            "*/15 * * * *",
            "0 9-17/2 * jan-mar MON-FRI",
            "0 0 * * 7",
            "5/10 * * * *",
        ] {
            assert!(Schedule::parse(good, Tz::UTC).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn dst_days_keep_a_daily_job_daily() {
        // Europe/Berlin: 2026-03-29 02:00 -> 03:00, 2026-10-25 03:00 -> 02:00.
        let s = daily("30 2 * * *", "Europe/Berlin");
        // Spring: 02:30 does not exist; cron runs it right after the change.
        let before = utc("2026-03-28T01:30:00Z");
        let on_change = s.next_after(before).unwrap();
        assert_eq!(on_change, utc("2026-03-29T01:00:00Z"));
        assert_eq!(s.next_after(on_change), Some(utc("2026-03-30T00:30:00Z")));
        // Autumn: 02:30 happens twice; a fixed-time job runs once.
        let before = utc("2026-10-24T00:30:00Z");
        let first = s.next_after(before).unwrap();
        assert_eq!(first, utc("2026-10-25T00:30:00Z"));
        assert_eq!(s.next_after(first), Some(utc("2026-10-26T01:30:00Z")));
        // Measured gaps stay at most a day.
        assert_eq!(s.longest_gap(utc("2026-01-01T00:00:00Z")), Some(86_400));
    }

    #[test]
    fn the_gap_into_the_repeated_hour_is_real_time() {
        // 2026-10-25 in Berlin: 02:45 CEST, then 02:00 CET 15 minutes later.
        let s = daily("*/15 * * * *", "Europe/Berlin");
        let last = utc("2026-10-25T00:45:00Z");
        let next = s.next_after(last).unwrap();
        assert_eq!(next, utc("2026-10-25T01:00:00Z"));
        assert_eq!(s.gap(last, next), 900);
    }

    #[test]
    fn zones_are_named_from_the_tz_database() {
        assert_eq!(parse_zone(":Europe/Berlin"), Ok(chrono_tz::Europe::Berlin));
        assert_eq!(parse_zone("UTC"), Ok(Tz::UTC));
        assert!(parse_zone("Mars/Olympus")
            .unwrap_err()
            .contains("Mars/Olympus"));
    }

    #[test]
    fn a_walk_cut_short_by_its_budget_measures_nothing() {
        let s = daily("*/5 * * * *", "UTC");
        let from = utc("2026-11-01T00:00:00Z");
        assert_eq!(s.longest_gap_within(from, 10), (None, 10));
        assert_eq!(s.longest_gap_within(from, 1_000_000).0, Some(300));
        let d = daily("0 3 * * *", "UTC");
        assert_eq!(d.longest_gap_within(from, 400).0, Some(86_400));
    }

    #[test]
    fn the_calendar_end_gives_no_gap_rather_than_a_panic() {
        let s = daily("0 3 * * *", "UTC");
        assert_eq!(s.longest_gap(DateTime::<Utc>::MAX_UTC), None);
    }
}
