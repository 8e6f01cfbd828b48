//! The wall-clock fires of a line: the local minutes its fields select,
//! found field by field (a month, day or hour that does not match is passed
//! over whole), and the instants those minutes fall on in a zone. A minute
//! the clocks skip falls on no instant, a minute of the repeated hour on
//! two; cron's own handling of both days, for fixed-time lines, is `dst`'s
//! and is applied on top by `fire`.

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Offset, TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;

use super::fields::Fields;

/// How far ahead and behind an instant the zone's offset is sampled to
/// size a clock change near it: longer than any change in the tz database
/// lasts in wall-clock time.
const CHANGE_HOURS: i64 = 6;

/// Which way a search walks.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Direction {
    /// Forward: the earliest instant after the start.
    Forward,
    /// Backward: the latest instant before the start.
    Backward,
}

/// The first instant after `t` (`Forward`) or before it (`Backward`), or
/// `t` itself when `inclusive`, on which the wall clock of `zone` shows a
/// minute `fields` select; `None` when there is none up to `limit`.
pub(super) fn wall_fire(
    fields: &Fields,
    zone: Tz,
    t: DateTime<Utc>,
    direction: Direction,
    inclusive: bool,
    limit: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let wanted = |u: DateTime<Utc>| match (direction, inclusive) {
        (Direction::Forward, true) => u >= t,
        (Direction::Forward, false) => u > t,
        (Direction::Backward, true) => u <= t,
        (Direction::Backward, false) => u < t,
    };
    let better = |u: DateTime<Utc>, best: DateTime<Utc>| match direction {
        Direction::Forward => u < best,
        Direction::Backward => u > best,
    };
    // Across a clock change an instant beyond `t` may show a wall-clock
    // time on the near side of `t`'s, by at most the size of the change.
    let margin = Duration::seconds(i64::from(change_near(zone, t, direction)));
    let local = zone.from_utc_datetime(&t.naive_utc()).naive_local();
    let local_limit = zone.from_utc_datetime(&limit.naive_utc()).naive_local();
    let (mut minute, local_limit) = match direction {
        Direction::Forward => (
            floor_minute(local.checked_sub_signed(margin)?),
            local_limit.checked_add_signed(margin)?,
        ),
        Direction::Backward => (
            floor_minute(local.checked_add_signed(margin)?),
            local_limit.checked_sub_signed(margin)?,
        ),
    };
    let mut best: Option<(DateTime<Utc>, NaiveDateTime)> = None;
    while let Some(found) = matching_minute(fields, minute, direction, local_limit) {
        minute = found;
        if let Some((_, found_at)) = best {
            // Past the margin from the first find, nothing is nearer.
            let beyond = match direction {
                Direction::Forward => minute > found_at + margin,
                Direction::Backward => minute < found_at - margin,
            };
            if beyond {
                break;
            }
        }
        for u in instants(zone, minute) {
            if wanted(u) && best.is_none_or(|(b, _)| better(u, b)) {
                best = Some((u, best.map_or(minute, |(_, at)| at)));
            }
        }
        let Some(next) = step(minute, direction) else {
            break;
        };
        minute = next;
    }
    best.map(|(u, _)| u)
}

/// The instants on which the wall clock of `zone` shows `minute`: none in
/// a skipped hour, two in a repeated one.
fn instants(zone: Tz, minute: NaiveDateTime) -> Vec<DateTime<Utc>> {
    match zone.from_local_datetime(&minute) {
        chrono::LocalResult::None => Vec::new(),
        chrono::LocalResult::Single(u) => vec![u.with_timezone(&Utc)],
        chrono::LocalResult::Ambiguous(a, b) => {
            vec![a.with_timezone(&Utc), b.with_timezone(&Utc)]
        }
    }
}

/// How many seconds the zone's offset changes by within a few hours of
/// `t` in the `direction` searched, when that change moves the wall clock
/// back towards `t`'s wall-clock time; 0 on an ordinary day.
fn change_near(zone: Tz, t: DateTime<Utc>, direction: Direction) -> i32 {
    let offset = |u: DateTime<Utc>| {
        zone.offset_from_utc_datetime(&u.naive_utc())
            .fix()
            .local_minus_utc()
    };
    let here = offset(t);
    (1..=CHANGE_HOURS)
        .filter_map(|h| {
            let hours = Duration::hours(h);
            match direction {
                Direction::Forward => t.checked_add_signed(hours).map(|u| here - offset(u)),
                Direction::Backward => t.checked_sub_signed(hours).map(|u| offset(u) - here),
            }
        })
        .max()
        .unwrap_or(0)
        .max(0)
}

/// `t` without its seconds.
fn floor_minute(t: NaiveDateTime) -> NaiveDateTime {
    t.with_second(0)
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(t)
}

/// The next minute after `t`, or the one before it.
fn step(t: NaiveDateTime, direction: Direction) -> Option<NaiveDateTime> {
    match direction {
        Direction::Forward => t.checked_add_signed(Duration::minutes(1)),
        Direction::Backward => t.checked_sub_signed(Duration::minutes(1)),
    }
}

/// The first minute from `t` on (`Forward`) or back (`Backward`), `t`
/// included, that the fields select, if one comes before `limit`. Each turn
/// of the loop passes over a month, a day, an hour or finds the minute, so
/// a search of five years takes a few thousand turns at the most.
pub(super) fn matching_minute(
    fields: &Fields,
    mut t: NaiveDateTime,
    direction: Direction,
    limit: NaiveDateTime,
) -> Option<NaiveDateTime> {
    let forward = direction == Direction::Forward;
    loop {
        let past = if forward { t > limit } else { t < limit };
        if past {
            return None;
        }
        let date = t.date();
        if !fields.has(3, date.month0()) {
            t = if forward {
                first_of_next_month(date)?.and_hms_opt(0, 0, 0)?
            } else {
                date.with_day(1)?.and_hms_opt(0, 0, 0)? - Duration::minutes(1)
            };
            continue;
        }
        if !fields.day_matches(date) {
            t = day_edge(date, forward)?;
            continue;
        }
        let Some(hour) = fields.nearest(1, t.hour(), forward) else {
            t = day_edge(date, forward)?;
            continue;
        };
        let from = match (hour == t.hour(), forward) {
            (true, _) => t.minute(),
            (false, true) => 0,
            (false, false) => 59,
        };
        let Some(minute) = fields.nearest(0, from, forward) else {
            let hour_start = date.and_hms_opt(hour, 0, 0)?;
            t = if forward {
                hour_start + Duration::hours(1)
            } else {
                hour_start - Duration::minutes(1)
            };
            continue;
        };
        return date.and_hms_opt(hour, minute, 0);
    }
}

/// The first minute of the next day, or the last of the day before.
fn day_edge(date: NaiveDate, forward: bool) -> Option<NaiveDateTime> {
    if forward {
        date.succ_opt()?.and_hms_opt(0, 0, 0)
    } else {
        date.pred_opt()?.and_hms_opt(23, 59, 0)
    }
}

/// The first day of the month after `date`'s.
fn first_of_next_month(date: NaiveDate) -> Option<NaiveDate> {
    let (year, month) = if date.month() == 12 {
        (date.year() + 1, 1)
    } else {
        (date.year(), date.month() + 1)
    };
    NaiveDate::from_ymd_opt(year, month, 1)
}

#[cfg(test)]
mod tests;
