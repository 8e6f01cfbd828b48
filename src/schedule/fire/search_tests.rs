//! The search against fixed fires and a walk minute by minute.

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
        wall_fire(
            &every,
            zone,
            false,
            t,
            Direction::Forward,
            inclusive,
            far(t),
        )
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
        wall_fire(&every, zone, false, t, Direction::Backward, false, back(t))
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
        wall_fire(&every, Tz::UTC, false, t, Direction::Forward, false, t),
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
        .find(|u| {
            let t = u.with_timezone(&zone).naive_local();
            fields.has(0, t.minute())
                && fields.has(1, t.hour())
                && fields.has(3, t.month0())
                && fields.day_matches(t.date())
        })
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
                        false,
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

#[test]
fn the_berlin_spring_jump_is_found_to_the_second() {
    let zone = chrono_tz::Europe::Berlin;
    for skipped in ["2026-03-29 02:00", "2026-03-29 02:59"] {
        assert_eq!(
            jump_after(zone, naive(skipped)),
            Some(utc("2026-03-29T01:00:00Z"))
        );
    }
    assert_eq!(
        instants(zone, naive("2026-03-29 02:30"), false),
        [None, None]
    );
}

#[test]
fn only_the_first_of_a_repeated_time_runs_a_fixed_time_line() {
    let zone = chrono_tz::Europe::Berlin;
    let first = Some(utc("2026-10-25T00:30:00Z"));
    let second = Some(utc("2026-10-25T01:30:00Z"));
    let repeated = naive("2026-10-25 02:30");
    assert_eq!(instants(zone, repeated, true), [first, None]);
    assert_eq!(instants(zone, repeated, false), [first, second]);
}
