//! The fires of a line: the local minutes its fields select, found field by field, and the instants
//! cron runs them at in a zone. When the clocks change, cron (Debian's `cron.c`, its `timeDiff`
//! cases) runs skipped fixed-time lines ([`Fields::fixed_time`]) right after a jump forward of
//! under three hours, and only the other lines again in a repeated hour.

use chrono::{
    DateTime, Datelike, Days, Duration, LocalResult, Months, NaiveDateTime, NaiveTime, Offset,
    TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;

use super::fields::Fields;

/// The largest jump forward after which cron still runs skipped fixed-time lines.
const CATCH_UP_MAX_SECONDS: i32 = 3 * 3600;

/// How far around an instant a clock change is looked for: longer than any lasts.
const CHANGE_HOURS: i64 = 6;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Direction {
    Forward,
    Backward,
}

impl Direction {
    pub(super) fn signed(self, d: Duration) -> Duration {
        match self {
            Direction::Forward => d,
            Direction::Backward => -d,
        }
    }

    /// Whether `a` lies beyond `b` this way.
    pub(super) fn beyond<T: PartialOrd>(self, a: T, b: T) -> bool {
        match self {
            Direction::Forward => a > b,
            Direction::Backward => a < b,
        }
    }
}

/// The first instant after (or before) `t`, or `t` itself when `inclusive`, up to `limit`, at
/// which cron runs a line with `fields` (as a `fixed`-time line) by the wall clock of `zone`.
pub(super) fn wall_fire(
    fields: &Fields,
    zone: Tz,
    fixed: bool,
    t: DateTime<Utc>,
    direction: Direction,
    inclusive: bool,
    limit: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    // Across a clock change an instant beyond `t` may show a wall-clock
    // time on the near side of `t`'s, by at most the size of the change.
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
pub(super) fn matching_minute(
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
