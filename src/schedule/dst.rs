//! The days the clocks change, as cron handles them (Debian's `cron.c`,
//! its `timeDiff` cases): when the clock jumps forward by less than three
//! hours, the fixed-time lines whose times were skipped run at once, right
//! after the jump; when it goes back, only the lines that are not
//! fixed-time run again in the repeated hour. Which lines are fixed-time is
//! [`Fields::is_fixed_time`].

use chrono::{DateTime, Duration, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

use super::fields::Fields;

/// The most times passed over in a row for falling in a repeated hour: a
/// line can select at most one per minute of it.
pub(super) const REPEATS_MAX: usize = 4 * 60;

/// The largest jump forward after which cron runs the skipped fixed-time
/// lines; after a larger one it runs only what is due at the new time.
const CATCH_UP_MAX_SECONDS: i32 = 3 * 3600;

/// How far apart the offset is sampled when looking for a jump: less than
/// the time between two changes in every zone.
const PROBE_HOURS: i64 = 12;

/// Whether `t` is the second time its wall-clock time occurs in `zone`
/// (in the hour repeated when the clocks go back).
pub(super) fn is_repeat(t: DateTime<Utc>, zone: Tz) -> bool {
    let wall = t.with_timezone(&zone).naive_local();
    matches!(zone.from_local_datetime(&wall), chrono::LocalResult::Ambiguous(_, later) if later == t)
}

/// The jumps forward in (`from`, `to`] at which cron runs a fixed-time
/// line with `fields`, in order: those whose skipped wall-clock minutes
/// include one the line selects.
pub(super) fn skipped_fires(
    fields: &Fields,
    zone: Tz,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> impl Iterator<Item = DateTime<Utc>> + '_ {
    jumps(zone, from, to)
        .filter(|jump| {
            let (start, end) = jump.skipped;
            std::iter::successors(Some(start), |m| Some(*m + Duration::minutes(1)))
                .take_while(|m| *m < end)
                .any(|m| fields.matches(m))
        })
        .map(|jump| jump.at)
}

/// The clocks jumping forward.
struct Jump {
    /// The first instant of the new offset.
    at: DateTime<Utc>,
    /// The wall-clock minutes skipped: from `skipped.0` up to, not
    /// including, `skipped.1`.
    skipped: (NaiveDateTime, NaiveDateTime),
}

/// The UTC offset of `zone` at `t`, in seconds.
pub(super) fn offset(zone: Tz, t: DateTime<Utc>) -> i32 {
    zone.offset_from_utc_datetime(&t.naive_utc())
        .fix()
        .local_minus_utc()
}

/// The jumps forward of less than three hours in (`from`, `to`], in order.
fn jumps(zone: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> impl Iterator<Item = Jump> {
    let step = Duration::hours(PROBE_HOURS);
    let mut low = from;
    std::iter::from_fn(move || {
        while low < to {
            let high = low.checked_add_signed(step).map_or(to, |h| h.min(to));
            let (before, after) = (offset(zone, low), offset(zone, high));
            let (mut a, mut b) = (low.timestamp(), high.timestamp());
            low = high;
            if after <= before || after - before >= CATCH_UP_MAX_SECONDS {
                continue;
            }
            // The first second of the new offset, by halving.
            let at = |seconds: i64| DateTime::<Utc>::from_timestamp(seconds, 0);
            while b - a > 1 {
                let mid = a + (b - a) / 2;
                if at(mid).is_some_and(|t| offset(zone, t) == before) {
                    a = mid;
                } else {
                    b = mid;
                }
            }
            let b = at(b)?;
            let wall = |seconds: i32| b.naive_utc() + Duration::seconds(i64::from(seconds));
            return Some(Jump {
                at: b,
                skipped: (wall(before), wall(after)),
            });
        }
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn the_berlin_spring_jump_is_found_to_the_second() {
        let zone = chrono_tz::Europe::Berlin;
        let found: Vec<Jump> = jumps(
            zone,
            utc("2026-01-01T00:00:00Z"),
            utc("2026-12-31T00:00:00Z"),
        )
        .collect();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].at, utc("2026-03-29T01:00:00Z"));
        assert_eq!(found[0].skipped.0.to_string(), "2026-03-29 02:00:00");
        assert_eq!(found[0].skipped.1.to_string(), "2026-03-29 03:00:00");
    }

    #[test]
    fn only_the_second_of_a_repeated_time_is_a_repeat() {
        let zone = chrono_tz::Europe::Berlin;
        assert!(!is_repeat(utc("2026-10-25T00:30:00Z"), zone));
        assert!(is_repeat(utc("2026-10-25T01:30:00Z"), zone));
        assert!(!is_repeat(utc("2026-10-25T02:30:00Z"), zone));
    }
}
