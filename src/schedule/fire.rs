//! When a schedule fires: a cron expression in a time zone, read as cron reads it (`fields`). Its
//! fires are the local minutes its fields select, found field by field, and the instants cron runs
//! them at in the zone. When the clocks change, cron (Debian's `cron.c`, its `timeDiff` cases) runs
//! skipped fixed-time lines ([`Fields::fixed_time`]) right after a jump forward of under three
//! hours, and only the other lines again in a repeated hour.

use chrono::{
    DateTime, Datelike, Days, Duration, LocalResult, Months, NaiveDateTime, NaiveTime, Offset,
    TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;

use super::fields::Fields;
use crate::Error;

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

    /// Five fields or a macro as cron reads them, firing in `zone`; `None` if it never runs.
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
            let next = self.next_after(previous);
            longest = longest.max(next.map_or(0, |next| self.wall_gap(previous, next)));
            (complete, previous) = (next.is_none_or(|n| n > end), next.unwrap_or(previous));
        }
        // A dense schedule's walk stops at its own bound; a smaller budget leaves it unmeasured.
        let measured = complete || fires >= GAP_WALK_MAX;
        ((measured && longest > 0).then_some(longest), walked)
    }

    fn wall_gap(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> u64 {
        let real = (to - from).num_seconds();
        let local = |t: DateTime<Utc>| t.with_timezone(&self.zone).naive_local();
        let wall = (local(to) - local(from)).num_seconds();
        real.min(wall).max(0).unsigned_abs()
    }

    /// Seconds between fires in real time (by the wall clock, a repeated hour's may be 0).
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

/// The largest jump forward after which cron still runs skipped fixed-time lines.
const CATCH_UP_MAX_SECONDS: i32 = 3 * 3600;

/// How far around an instant a clock change is looked for: longer than any lasts.
const CHANGE_HOURS: i64 = 6;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Forward,
    Backward,
}

impl Direction {
    fn signed(self, d: Duration) -> Duration {
        match self {
            Direction::Forward => d,
            Direction::Backward => -d,
        }
    }

    fn beyond<T: PartialOrd>(self, a: T, b: T) -> bool {
        match self {
            Direction::Forward => a > b,
            Direction::Backward => a < b,
        }
    }
}

/// The first instant after (or before) `t`, or `t` itself when `inclusive`, up to `limit`, at
/// which cron runs a line with `fields` (as a `fixed`-time line) by the wall clock of `zone`.
fn wall_fire(
    fields: &Fields,
    zone: Tz,
    fixed: bool,
    t: DateTime<Utc>,
    direction: Direction,
    inclusive: bool,
    limit: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    // Across a clock change an instant past `t` may show a wall clock short of t's, by the change.
    let margin = direction.signed(Duration::seconds(change_near(zone, t, direction).into()));
    let local = |u: DateTime<Utc>| u.with_timezone(&zone).naive_local();
    let mut minute = (local(t).checked_sub_signed(margin)?)
        .with_second(0)?
        .with_nanosecond(0)?;
    let local_limit = local(limit).checked_add_signed(margin)?;
    // The nearest instant yet, and the minute of the first find.
    let mut best: Option<(DateTime<Utc>, NaiveDateTime)> = None;
    while let Some(found) = matching_minute(fields, minute, direction, local_limit) {
        // Past the margin from the first find, nothing is nearer.
        if best.is_some_and(|(_, first)| direction.beyond(found, first + margin)) {
            break;
        }
        for u in instants(zone, found, fixed).into_iter().flatten() {
            let wanted = direction.beyond(u, t) || (inclusive && u == t);
            if wanted && best.is_none_or(|(b, _)| direction.beyond(b, u)) {
                best = Some((u, best.map_or(found, |(_, first)| first)));
            }
        }
        let Some(next) = found.checked_add_signed(direction.signed(Duration::minutes(1))) else {
            break;
        };
        minute = next;
    }
    best.map(|(u, _)| u)
}

/// The instants cron runs a line at the wall-clock `minute`: one; in a repeated hour two (a
/// `fixed`-time line the first); skipped, none (a fixed-time line the short jump's instant).
fn instants(zone: Tz, minute: NaiveDateTime, fixed: bool) -> [Option<DateTime<Utc>>; 2] {
    match zone.from_local_datetime(&minute) {
        LocalResult::Single(u) => [Some(u.to_utc()), None],
        LocalResult::Ambiguous(a, b) => [Some(a.to_utc()), (!fixed).then(|| b.to_utc())],
        LocalResult::None if fixed => [jump_after(zone, minute), None],
        LocalResult::None => [None, None],
    }
}

/// The instant the clocks jump past the skipped `minute`, by less than [`CATCH_UP_MAX_SECONDS`].
fn jump_after(zone: Tz, minute: NaiveDateTime) -> Option<DateTime<Utc>> {
    let at = (1..i64::from(CATCH_UP_MAX_SECONDS / 60))
        .find_map(|m| {
            let later = minute.checked_add_signed(Duration::minutes(m))?;
            zone.from_local_datetime(&later).earliest()
        })?
        .to_utc();
    let jump = offset(zone, at) - offset(zone, at - Duration::seconds(1));
    (jump < CATCH_UP_MAX_SECONDS).then_some(at)
}

fn offset(zone: Tz, t: DateTime<Utc>) -> i32 {
    t.with_timezone(&zone).offset().fix().local_minus_utc()
}

/// How far a clock change within hours of `t` (`direction`) moves the wall clock back to `t`'s.
fn change_near(zone: Tz, t: DateTime<Utc>, direction: Direction) -> i32 {
    let here = offset(zone, t);
    (1..=CHANGE_HOURS)
        .filter_map(|h| t.checked_add_signed(direction.signed(Duration::hours(h))))
        .map(|u| match direction {
            Direction::Forward => here - offset(zone, u),
            Direction::Backward => offset(zone, u) - here,
        })
        .fold(0, i32::max)
}

/// The first minute from `t` on (or back), included, that the fields select before `limit`:
/// each turn passes a month, a day or an hour, so five years take a few thousand at most.
fn matching_minute(
    fields: &Fields,
    mut t: NaiveDateTime,
    direction: Direction,
    limit: NaiveDateTime,
) -> Option<NaiveDateTime> {
    let forward = direction == Direction::Forward;
    // Out of the month, day or hour `start..end`: to `end`, or back before `start`.
    let out = |start: NaiveDateTime, end: Option<NaiveDateTime>| match direction {
        Direction::Forward => end,
        Direction::Backward => start.checked_sub_signed(Duration::minutes(1)),
    };
    while !direction.beyond(t, limit) {
        let date = t.date();
        if !fields.has(3, date.month0()) {
            let month = date.with_day(1)?.and_time(NaiveTime::MIN);
            t = out(month, month.checked_add_months(Months::new(1)))?;
            continue;
        }
        let hour = fields.nearest(1, t.hour(), forward);
        let Some(hour) = hour.filter(|_| fields.day_matches(date)) else {
            let day = date.and_time(NaiveTime::MIN);
            t = out(day, day.checked_add_days(Days::new(1)))?;
            continue;
        };
        let from = match (hour == t.hour(), forward) {
            (true, _) => t.minute(),
            (false, true) => 0,
            (false, false) => 59,
        };
        let Some(minute) = fields.nearest(0, from, forward) else {
            let start = date.and_hms_opt(hour, 0, 0)?;
            t = out(start, start.checked_add_signed(Duration::hours(1)))?;
            continue;
        };
        return date.and_hms_opt(hour, minute, 0);
    }
    None
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod search_tests;
