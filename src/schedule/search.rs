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
mod tests {
    use super::*;

    fn fields(text: &str) -> Fields {
        let words: Vec<&str> = text.split(' ').collect();
        Fields::parse(&words.try_into().unwrap()).unwrap()
    }

    fn naive(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap()
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn next(text: &str, from: &str) -> Option<NaiveDateTime> {
        let from = naive(from);
        let limit = from + Duration::days(5 * 366);
        matching_minute(&fields(text), from, Direction::Forward, limit)
    }

    fn previous(text: &str, from: &str) -> Option<NaiveDateTime> {
        let from = naive(from);
        let limit = from - Duration::days(5 * 366);
        matching_minute(&fields(text), from, Direction::Backward, limit)
    }

    #[test]
    fn minutes_are_found_field_by_field() {
        assert_eq!(
            next("*/15 * * * *", "2026-11-22 03:01"),
            Some(naive("2026-11-22 03:15"))
        );
        assert_eq!(
            next("*/15 * * * *", "2026-11-22 03:15"),
            Some(naive("2026-11-22 03:15"))
        );
        assert_eq!(
            next("5 3 * * *", "2026-11-22 03:06"),
            Some(naive("2026-11-23 03:05"))
        );
        assert_eq!(
            next("0 0 1 1 *", "2026-02-01 00:00"),
            Some(naive("2027-01-01 00:00"))
        );
        assert_eq!(
            next("0 12 31 * *", "2026-04-01 00:00"),
            Some(naive("2026-05-31 12:00"))
        );
        assert_eq!(
            next("0 0 29 2 *", "2026-03-01 00:00"),
            Some(naive("2028-02-29 00:00"))
        );
        assert_eq!(next("0 0 30 2 *", "2026-03-01 00:00"), None);
        assert_eq!(
            next("59 23 31 12 *", "2026-12-31 23:59"),
            Some(naive("2026-12-31 23:59"))
        );
        assert_eq!(
            previous("*/15 * * * *", "2026-11-22 03:14"),
            Some(naive("2026-11-22 03:00"))
        );
        assert_eq!(
            previous("5 3 * * *", "2026-11-22 03:04"),
            Some(naive("2026-11-21 03:05"))
        );
        assert_eq!(
            previous("0 0 1 1 *", "2026-12-31 23:59"),
            Some(naive("2026-01-01 00:00"))
        );
        assert_eq!(
            previous("30 9-17/4 * * *", "2026-11-22 12:00"),
            Some(naive("2026-11-22 09:30"))
        );
        assert_eq!(
            previous("0 0 29 2 *", "2026-03-01 00:00"),
            Some(naive("2024-02-29 00:00"))
        );
    }

    #[test]
    fn the_day_fields_follow_cron_s_or_rule() {
        // 2026-11-01 is a Sunday: the 13th or a Friday, whichever first.
        assert_eq!(
            next("0 0 13 * 5", "2026-11-01 00:00"),
            Some(naive("2026-11-06 00:00"))
        );
        assert_eq!(
            next("0 0 13 * 5", "2026-11-07 00:00"),
            Some(naive("2026-11-13 00:00"))
        );
        // With `*` in day of month, both must match: Fridays only.
        assert_eq!(
            next("0 0 * * 5", "2026-11-07 00:00"),
            Some(naive("2026-11-13 00:00"))
        );
        // Days 1, 11, 21, 31 that are Fridays: the first is 2026-12-11.
        assert_eq!(
            next("0 0 */10 * 5", "2026-11-01 00:00"),
            Some(naive("2026-12-11 00:00"))
        );
        assert_eq!(
            previous("0 0 13 * 5", "2026-11-12 00:00"),
            Some(naive("2026-11-06 00:00"))
        );
    }

    #[test]
    fn the_repeated_hour_gives_two_instants_and_the_skipped_none() {
        let zone = chrono_tz::Europe::Berlin;
        let every = fields("*/30 * * * *");
        let far = |t: DateTime<Utc>| t + Duration::days(1);
        let back = |t: DateTime<Utc>| t - Duration::days(1);
        let after = |t: &str, inclusive| {
            let t = utc(t);
            wall_fire(&every, zone, t, Direction::Forward, inclusive, far(t))
        };
        // Spring, 2026-03-29: 01:30 CET, then 03:00 CEST.
        assert_eq!(
            after("2026-03-29T00:30:00Z", false),
            Some(utc("2026-03-29T01:00:00Z"))
        );
        // Autumn, 2026-10-25: 02:30 CEST (00:30Z), then 02:00 CET (01:00Z).
        assert_eq!(
            after("2026-10-25T00:30:00Z", false),
            Some(utc("2026-10-25T01:00:00Z"))
        );
        assert_eq!(
            after("2026-10-25T00:10:00Z", false),
            Some(utc("2026-10-25T00:30:00Z"))
        );
        assert_eq!(
            after("2026-10-25T00:30:00Z", true),
            Some(utc("2026-10-25T00:30:00Z"))
        );
        let before = |t: &str| {
            let t = utc(t);
            wall_fire(&every, zone, t, Direction::Backward, false, back(t))
        };
        assert_eq!(
            before("2026-10-25T01:00:00Z"),
            Some(utc("2026-10-25T00:30:00Z"))
        );
        assert_eq!(
            before("2026-10-25T01:50:00Z"),
            Some(utc("2026-10-25T01:30:00Z"))
        );
        assert_eq!(
            before("2026-10-25T02:10:00Z"),
            Some(utc("2026-10-25T02:00:00Z"))
        );
        assert_eq!(
            before("2026-03-29T01:00:00Z"),
            Some(utc("2026-03-29T00:30:00Z"))
        );
    }

    #[test]
    fn the_end_of_the_calendar_ends_the_search() {
        let every = fields("* * * * *");
        let t = DateTime::<Utc>::MAX_UTC;
        assert_eq!(
            wall_fire(&every, Tz::UTC, t, Direction::Forward, false, t),
            None
        );
    }

    /// The first instant after `t` (or at or before it) whose wall clock
    /// shows a minute the fields select, found the slow way: minute by
    /// minute in UTC, for `days` days.
    fn brute_force(
        fields: &Fields,
        zone: Tz,
        t: DateTime<Utc>,
        direction: Direction,
        days: i64,
    ) -> Option<DateTime<Utc>> {
        let start = t.with_second(0).unwrap().with_nanosecond(0).unwrap();
        (0..days * 24 * 60)
            .map(|m| match direction {
                Direction::Forward => start + Duration::minutes(m),
                Direction::Backward => start - Duration::minutes(m),
            })
            .filter(|u| match direction {
                Direction::Forward => *u > t,
                Direction::Backward => *u <= t,
            })
            .find(|u| fields.matches(u.with_timezone(&zone).naive_local()))
    }

    #[test]
    fn the_search_agrees_with_a_walk_minute_by_minute() {
        // Around the changes of clocks that jump by an hour (Berlin), half
        // an hour (Lord Howe) and at a half-hour offset (St John's).
        let cases = [
            ("Europe/Berlin", "2026-03-28T20:00:00Z"),
            ("Europe/Berlin", "2026-10-24T20:00:00Z"),
            ("Australia/Lord_Howe", "2026-04-04T10:00:00Z"),
            ("Australia/Lord_Howe", "2026-10-03T10:00:00Z"),
            ("America/St_Johns", "2026-03-08T00:00:00Z"),
            ("America/St_Johns", "2026-11-01T00:00:00Z"),
        ];
        let lines = [
            "*/7 * * * *",
            "30 2 * * *",
            "0,30 1-3 * * *",
            "15 * * * *",
            "59 23 * * *",
            "0 0 1 * 0",
            "*/20 2 * * *",
        ];
        for (zone, from) in cases {
            let zone: Tz = zone.parse().unwrap();
            let from = utc(from);
            for line in lines {
                let f = fields(line);
                for step in 0..24 {
                    let t = from + Duration::minutes(step * 17) + Duration::seconds(step % 3 * 20);
                    for direction in [Direction::Forward, Direction::Backward] {
                        let limit = match direction {
                            Direction::Forward => t + Duration::days(8),
                            Direction::Backward => t - Duration::days(8),
                        };
                        let found = wall_fire(
                            &f,
                            zone,
                            t,
                            direction,
                            direction == Direction::Backward,
                            limit,
                        );
                        let slow = brute_force(&f, zone, t, direction, 8);
                        assert_eq!(found, slow, "{line} in {zone} from {t}");
                    }
                }
            }
        }
    }
}
