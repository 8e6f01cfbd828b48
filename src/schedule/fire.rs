//! When a schedule fires: a cron expression in a time zone, read as cron
//! reads it (`fields`), its fires found as cron runs them (`search`).

use super::fields::Fields;
use super::search::{wall_fire, Direction};
use crate::Error;
use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Tz;

/// How far fires are looked for: a rarer schedule is treated as never firing again.
const SEARCH_SPAN_DAYS: i64 = 5 * 366;

const GAP_WALK_MAX: usize = 4000;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Schedule {
    text: String,
    fields: Fields,
    zone: Tz,
}

impl Schedule {
    /// [`Schedule::parse_as_cron`], refusing too one that never fires (`0 0 30 2 *`).
    pub(crate) fn parse(text: &str, zone: Tz) -> Result<Schedule, Error> {
        Schedule::parse_as_cron(text, zone)?
            .ok_or_else(|| Error::rule(format!("`{}` never fires", text.trim())))
    }

    /// Parses five fields or a macro as cron does, for fires in `zone`: an
    /// error in cron's terms for what it refuses, `None` if it never runs.
    pub(crate) fn parse_as_cron(text: &str, zone: Tz) -> Result<Option<Schedule>, Error> {
        let trimmed = text.trim();
        // The five-field form of each macro cron knows, `@reboot` aside.
        let expanded = match trimmed.to_ascii_lowercase().as_str() {
            "@yearly" | "@annually" => "0 0 1 1 *",
            "@monthly" => "0 0 1 * *",
            "@weekly" => "0 0 * * 0",
            "@daily" | "@midnight" => "0 0 * * *",
            "@hourly" => "0 * * * *",
            macro_ if macro_.starts_with('@') => {
                let why = format!("`{trimmed}` is not a schedule macro cron knows");
                return Err(Error::rule(why));
            }
            _ => trimmed,
        };
        let words: Vec<&str> = expanded.split_ascii_whitespace().collect();
        let five = <[&str; 5]>::try_from(words.as_slice()).map_err(|_| {
            Error::rule(format!("`{trimmed}` has {} fields; cron wants five: minute hour day-of-month month day-of-week", words.len()))
        })?;
        let fields = Fields::parse(&five)
            .map_err(|why| Error::rule(format!("cron refuses `{trimmed}`: {why}")))?;
        let text = trimmed.to_owned();
        let schedule = Schedule { text, fields, zone };
        let probe = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).single();
        let fires = fields.selects_some() && probe.and_then(|t| schedule.next_after(t)).is_some();
        Ok(fires.then_some(schedule))
    }

    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    pub(crate) fn zone(&self) -> Tz {
        self.zone
    }

    /// The first fire after `t`, within five years.
    pub(crate) fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.nearest(t, Direction::Forward)
    }

    /// The latest fire at or before `t`, within five years.
    pub(crate) fn latest_at_or_before(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.nearest(t, Direction::Backward)
    }

    fn nearest(&self, t: DateTime<Utc>, way: Direction) -> Option<DateTime<Utc>> {
        let limit = t.checked_add_signed(way.signed(Duration::days(SEARCH_SPAN_DAYS)))?;
        let (fields, zone) = (&self.fields, self.zone);
        let inclusive = way == Direction::Backward;
        wall_fire(fields, zone, fields.fixed_time, t, way, inclusive, limit)
            .filter(|f| !way.beyond(*f, limit))
    }

    /// The longest gap between fires in the year from `from` (or the first few thousand), in
    /// seconds: the shorter of real and wall-clock time, so a daily job is 24 hours apart.
    pub(crate) fn longest_gap(&self, from: DateTime<Utc>) -> Option<u64> {
        self.longest_gap_within(from, GAP_WALK_MAX).0
    }

    /// [`Schedule::longest_gap`] walking at most `fires` (none if cut short), and the fires walked.
    pub(crate) fn longest_gap_within(
        &self,
        from: DateTime<Utc>,
        fires: usize,
    ) -> (Option<u64>, usize) {
        let Some(end) = from.checked_add_signed(Duration::days(366)) else {
            return (None, 0);
        };
        let Some(mut previous) = self.next_after(from) else {
            return (None, 1);
        };
        let (mut longest, mut walked, mut complete) = (0, 1, false);
        while !complete && walked < fires.min(GAP_WALK_MAX) {
            walked += 1;
            match self.next_after(previous) {
                Some(next) => {
                    longest = longest.max(self.wall_gap(previous, next));
                    (complete, previous) = (next > end, next);
                }
                None => complete = true,
            }
        }
        // The walk's own bound ends a dense schedule's walk early; only the
        // caller's smaller budget leaves it unmeasured.
        let measured = complete || fires >= GAP_WALK_MAX;
        ((measured && longest > 0).then_some(longest), walked)
    }

    fn wall_gap(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> u64 {
        let real = (to - from).num_seconds();
        let local = |t: DateTime<Utc>| t.with_timezone(&self.zone).naive_local();
        let wall = (local(to) - local(from)).num_seconds();
        real.min(wall).max(0).unsigned_abs()
    }

    /// Seconds between two fires in real time, which grace is taken from (by
    /// the wall clock, a fire in a repeated hour may be 0 seconds after).
    pub(crate) fn gap(from: DateTime<Utc>, to: DateTime<Utc>) -> u64 {
        (to - from).num_seconds().max(0).unsigned_abs()
    }
}

/// A zone of the tz database (`Europe/Berlin`); a leading `:`, as POSIX allows in `TZ`, is ignored.
pub(crate) fn parse_zone(name: &str) -> Result<Tz, Error> {
    let name = name.trim();
    let name = name.strip_prefix(':').unwrap_or(name);
    name.parse::<Tz>()
        .map_err(|e| Error::rule_from(format!("`{name}` is not a time zone of the tz database"), e))
}

#[cfg(test)]
mod tests;
