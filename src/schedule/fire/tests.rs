//! Fires, gaps and the days the clocks change.

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
        "0 3 ? * *",
        "61 3 * * *",
        "/5 * * * *",
        "5/10 * * * *",
        "0 0 30 2 *",
        "5-1 * * * *",
        "",
    ] {
        assert!(Schedule::parse(bad, Tz::UTC).is_err(), "{bad:?}");
    }
    for good in [
        "*/15 * * * *",
        "0 9-17/2 * jan-mar MON-FRI",
        "0 0 * * 7",
        "*/100000 * * * *",
        "0 22-2 * * *",
        // cron ignores what follows a complete list: this is Monday.
        "0 3 * * 1#2",
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
fn a_line_with_two_fixed_hours_is_fixed_time_as_cron_reads_it() {
    let s = daily("30 2,14 * * *", "Europe/Berlin");
    // Autumn: 02:30 CEST runs; 02:30 CET, an hour later, does not.
    let first = utc("2026-10-25T00:30:00Z");
    assert_eq!(s.next_after(utc("2026-10-25T00:00:00Z")), Some(first));
    assert_eq!(s.next_after(first), Some(utc("2026-10-25T13:30:00Z")));
    assert_eq!(
        s.latest_at_or_before(utc("2026-10-25T01:45:00Z")),
        Some(first)
    );
    // Spring: 02:30 is skipped, and cron runs it at 03:00 CEST.
    let catch_up = utc("2026-03-29T01:00:00Z");
    assert_eq!(s.next_after(utc("2026-03-28T13:30:00Z")), Some(catch_up));
    assert_eq!(s.next_after(catch_up), Some(utc("2026-03-29T12:30:00Z")));
    assert_eq!(
        s.latest_at_or_before(utc("2026-03-29T01:10:00Z")),
        Some(catch_up)
    );
    assert_eq!(s.longest_gap(utc("2026-01-01T00:00:00Z")), Some(12 * 3600));
    // A line whose hour starts with `*` runs by the wall clock: 02:30
    // is skipped in spring and runs twice in autumn.
    let w = daily("30 * * * *", "Europe/Berlin");
    assert_eq!(
        w.next_after(utc("2026-03-29T00:30:00Z")),
        Some(utc("2026-03-29T01:30:00Z"))
    );
    assert_eq!(
        w.next_after(utc("2026-10-25T00:30:00Z")),
        Some(utc("2026-10-25T01:30:00Z"))
    );
}

#[test]
fn the_gap_into_the_repeated_hour_is_real_time() {
    // 2026-10-25 in Berlin: 02:45 CEST, then 02:00 CET 15 minutes later.
    let s = daily("*/15 * * * *", "Europe/Berlin");
    let last = utc("2026-10-25T00:45:00Z");
    let next = s.next_after(last).unwrap();
    assert_eq!(next, utc("2026-10-25T01:00:00Z"));
    assert_eq!(Schedule::gap(last, next), 900);
}

#[test]
fn zones_are_named_from_the_tz_database() {
    assert_eq!(
        parse_zone(":Europe/Berlin").map_err(|e| e.to_string()),
        Ok(chrono_tz::Europe::Berlin)
    );
    assert_eq!(parse_zone("UTC").unwrap(), Tz::UTC);
    assert!(parse_zone("Mars/Olympus")
        .unwrap_err()
        .to_string()
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
