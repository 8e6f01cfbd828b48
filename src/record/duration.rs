//! Durations as the command line takes them and the reports show them:
//! intervals, parsed and formatted. Pure.

use std::fmt;

use super::{INTERVAL_MAX, INTERVAL_MIN};
use crate::error::Error;

/// Parses an interval: whole seconds (`300`) or a duration with units
/// (`90s`, `5m`, `1h30m`, `1d`, `1w`), from 1 second to 400 days.
pub fn parse_interval(text: &str) -> Result<u64, Error> {
    let fail = |reason: &str| Error::InvalidInterval {
        value: text.to_owned(),
        reason: reason.to_owned(),
    };
    let seconds = parse_duration(text).map_err(|reason| fail(&reason))?;
    if seconds < INTERVAL_MIN {
        return Err(fail("it must be at least 1 second"));
    }
    if seconds > INTERVAL_MAX {
        return Err(fail("it must be at most 400 days"));
    }
    Ok(seconds)
}

/// Parses a duration without range limits: whole seconds, or numbers with
/// the units `w`, `d`, `h`, `m`, `s`, largest first, each at most once.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    const UNITS: [(char, u64); 5] = [
        ('w', 7 * 86_400),
        ('d', 86_400),
        ('h', 3_600),
        ('m', 60),
        ('s', 1),
    ];
    const EXPECTED: &str =
        "expected whole seconds or a duration such as `90s`, `5m`, `1h30m`, `1d`, `1w`";
    if text.is_empty() {
        return Err(format!("it is empty; {EXPECTED}"));
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().map_err(|_| "it is too large".to_owned());
    }
    let mut total: u64 = 0;
    let mut next_unit = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(EXPECTED.to_owned());
        }
        let number: u64 = rest[..digits]
            .parse()
            .map_err(|_| "it is too large".to_owned())?;
        let unit = rest[digits..].chars().next().ok_or(EXPECTED)?;
        let position = UNITS[next_unit..]
            .iter()
            .position(|(u, _)| *u == unit)
            .ok_or(EXPECTED)?;
        let scale = UNITS[next_unit + position].1;
        next_unit += position + 1;
        total = number
            .checked_mul(scale)
            .and_then(|n| total.checked_add(n))
            .ok_or("it is too large")?;
        rest = &rest[digits + unit.len_utf8()..];
    }
    Ok(total)
}

/// Formats seconds compactly with the two largest units that carry
/// information (zero ones are skipped): `45s`, `12m`, `3h 10m`, `2d 4h`,
/// `1d 10m`. A whole number of weeks is said in weeks (`1w`, `2w`), the way
/// such an interval is given; anything else in days at most (`8d 2h`).
pub fn format_duration(seconds: u64) -> String {
    let mut out = String::with_capacity(8);
    // Writing to a String cannot fail.
    let _ = write_duration(&mut out, seconds);
    out
}

/// Writes [`format_duration`]'s form of `seconds` to `out`, without
/// allocating: a panel formats two durations per job.
pub fn write_duration(out: &mut impl fmt::Write, seconds: u64) -> fmt::Result {
    const WEEK: u64 = 7 * 86_400;
    const UNITS: [(char, u64); 4] = [('d', 86_400), ('h', 3_600), ('m', 60), ('s', 1)];
    if seconds == 0 {
        return out.write_str("0s");
    }
    if seconds.is_multiple_of(WEEK) {
        return write!(out, "{}w", seconds / WEEK);
    }
    let mut rest = seconds;
    let mut parts = 0;
    for (name, size) in UNITS {
        let count = rest / size;
        rest %= size;
        if count > 0 && parts < 2 {
            if parts > 0 {
                out.write_char(' ')?;
            }
            write!(out, "{count}{name}")?;
            parts += 1;
        }
    }
    Ok(())
}
