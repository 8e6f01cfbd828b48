//! Durations as the reports show them: seconds formatted compactly. Pure.
//! (Parsing is in `value.rs`, with every other kind of value.)

use std::fmt;

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
pub(crate) fn write_duration(out: &mut impl fmt::Write, seconds: u64) -> fmt::Result {
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
