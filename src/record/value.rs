//! One parser per kind of value a person types (durations of every [`Span`], sizes, factors),
//! each with its range and its one-line error; and durations as reports show them. Pure.

use crate::error::Error;

pub(crate) const INTERVAL_MIN: u64 = 1;

/// The longest duration anything takes, in seconds: a wait longer than any period waits on nothing.
pub(crate) const INTERVAL_MAX: u64 = 400 * 86_400;

/// The least unitless seconds: below cron's minute, `24` more likely means 24 hours.
pub(crate) const BARE_SECONDS_MIN: u64 = 60;

/// A kind of duration: its name in messages and its range, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub noun: &'static str,
    pub min: u64,
    pub max: u64,
}

pub(crate) const INTERVAL: Span = Span::new("interval", INTERVAL_MIN);
pub(crate) const PAUSE: Span = Span::new("pause", 1);
pub(crate) const GRACE: Span = Span::new("grace", 0);
/// What may take or be waited for (`--lock-timeout`, `--remind`); 0 is none.
pub(crate) const WAIT: Span = Span::new("duration", 0);

impl Span {
    const fn new(noun: &'static str, min: u64) -> Span {
        let max = INTERVAL_MAX;
        Span { noun, min, max }
    }

    pub(crate) const fn at_least(self, min: u64) -> Span {
        Span { min, ..self }
    }

    /// ``invalid <noun> `<text>`: <rule>`` when out of range.
    pub(crate) fn parse(self, text: &str) -> Result<u64, Error> {
        self.seconds(text)
            .map_err(|reason| Error::invalid(self.noun, text, reason))
    }

    fn seconds(self, text: &str) -> Result<u64, String> {
        match parse_duration(text)? {
            seconds if seconds < self.min => Err(format!("it must be at least {}", say(self.min))),
            seconds if seconds > self.max => Err(format!("it must be at most {}", say(self.max))),
            seconds => Ok(seconds),
        }
    }
}

const UNITS: [(char, u64); 5] = [
    ('w', 604_800),
    ('d', 86_400),
    ('h', 3_600),
    ('m', 60),
    ('s', 1),
];

/// A limit in words: `400 days`, `1 second`, `2 minutes`.
pub(crate) fn say(seconds: u64) -> String {
    let units = [(86_400, "day"), (3_600, "hour"), (60, "minute")];
    let (size, unit) = (units.into_iter())
        .find(|(size, _)| seconds >= *size && seconds.is_multiple_of(*size))
        .unwrap_or((1, "second"));
    let count = seconds / size;
    let plural = if count == 1 { "" } else { "s" };
    format!("{count} {unit}{plural}")
}

/// Formats seconds compactly with the two largest units that carry
/// information (zero ones are skipped): `45s`, `12m`, `3h 10m`, `2d 4h`,
/// `1d 10m`. A whole number of weeks is said in weeks (`1w`, `2w`), the way
/// such an interval is given; anything else in days at most (`8d 2h`).
pub fn format_duration(seconds: u64) -> String {
    let week = UNITS[0].1;
    if seconds == 0 {
        return "0s".to_owned();
    }
    if seconds.is_multiple_of(week) {
        return format!("{}w", seconds / week);
    }
    let mut rest = seconds;
    let parts: Vec<String> = UNITS[1..]
        .iter()
        .filter_map(|&(name, size)| {
            let count = rest / size;
            rest %= size;
            (count > 0).then(|| format!("{count}{name}"))
        })
        .take(2)
        .collect();
    parts.join(" ")
}

pub(crate) fn parse_interval(text: &str) -> Result<u64, Error> {
    INTERVAL
        .seconds(text)
        .map_err(|reason| Error::InvalidInterval {
            value: text.to_owned(),
            reason,
        })
}

/// Whole seconds, or numbers with the units `w`, `d`, `h`, `m`, `s`, largest first,
/// each at most once; a bare number below [`BARE_SECONDS_MIN`] but 0 is refused.
fn parse_duration(text: &str) -> Result<u64, String> {
    const EXPECTED: &str =
        "expected whole seconds or a duration such as `90s`, `5m`, `1h30m`, `1d`, `1w`";
    if text.is_empty() {
        return Err(format!("it is empty; {EXPECTED}"));
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        let seconds: u64 = text.parse().map_err(|_| "it is too large".to_owned())?;
        if (1..BARE_SECONDS_MIN).contains(&seconds) {
            return Err(format!(
                "`{seconds}` is {seconds} seconds, shorter than cron's minute; write {seconds}h or {seconds}s"
            ));
        }
        return Ok(seconds);
    }
    // Each unit at most once, largest first: one found uses up those before.
    let mut units = UNITS.iter();
    let (mut total, mut rest) = (0u64, text);
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(EXPECTED.to_owned());
        }
        let number: u64 = rest[..digits].parse().map_err(|_| "it is too large")?;
        let unit = rest[digits..].chars().next().ok_or(EXPECTED)?;
        let (_, scale) = units.find(|(u, _)| *u == unit).ok_or(EXPECTED)?;
        total = number
            .checked_mul(*scale)
            .and_then(|n| total.checked_add(n))
            .ok_or("it is too large")?;
        rest = &rest[digits + unit.len_utf8()..];
    }
    Ok(total)
}

/// Bytes or `K`/`KiB`, `M`/`MiB` (of 1024), at most `max`; `what` says the limit's reason.
pub(crate) fn parse_size(text: &str, max: u64, what: &str) -> Result<u64, Error> {
    let invalid = |rule: &str| Error::invalid("size", text, rule);
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let scale: u64 = match &text[digits..] {
        "" | "B" => 1,
        "K" | "KiB" | "k" => 1024,
        "M" | "MiB" => 1024 * 1024,
        _ => return Err(invalid("expected bytes or a size such as `4KiB` or `1MiB`")),
    };
    if digits == 0 {
        return Err(invalid("it has no number"));
    }
    let bytes = text[..digits].parse::<u64>().ok();
    match bytes.and_then(|n| n.checked_mul(scale)) {
        Some(n) if n <= max => Ok(n),
        _ => Err(invalid(&format!("it must be at most {max} bytes{what}"))),
    }
}

pub(crate) fn parse_factor(text: &str) -> Result<f64, Error> {
    let rule = "the factor must be a number greater than 1, such as 2 or 1.5";
    match text.parse::<f64>() {
        Ok(f) if f.is_finite() && f > 1.0 => Ok(f),
        _ => Err(Error::rule(rule)),
    }
}

/// An on/off setting as `HB_QUIET=yes` gives it.
pub(crate) fn parse_switch(text: &str) -> Result<bool, Error> {
    let rule = "a switch is on (`1`, `true`, `yes`, `on`) or off (`0`, `false`, `no`, `off`)";
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "t" | "yes" | "y" | "on" => Ok(true),
        "0" | "false" | "f" | "no" | "n" | "off" => Ok(false),
        _ => Err(Error::rule(rule)),
    }
}

pub(crate) fn parse_count(text: &str, min: u32, max: u32) -> Result<u32, Error> {
    let rule = || format!("it must be a whole number from {min} to {max}");
    match text.trim().parse::<u32>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(Error::rule(rule())),
    }
}

pub(crate) fn parse_exit_code(text: &str) -> Result<i32, Error> {
    let rule = "an exit code is a whole number, such as 0 or 3 (`--exit-code $?`)";
    text.trim().parse::<i32>().map_err(|_| Error::rule(rule))
}

/// As `--ok-exit-codes 0,24` gives them: at most 256 codes from 0 to 255.
pub(crate) fn parse_exit_codes(text: &str) -> Result<Vec<i32>, Error> {
    let rule = "a list of codes from 0 to 255 separated by commas, such as `0,24`";
    let codes: Option<Vec<i32>> = text
        .split(',')
        .take(257)
        .map(|part| part.trim().parse::<u8>().ok().map(i32::from))
        .collect();
    match codes {
        Some(codes) if codes.len() <= 256 => Ok(codes),
        _ => Err(Error::invalid("exit codes", text, rule)),
    }
}

pub(crate) fn parse_now(text: &str) -> Result<chrono::DateTime<chrono::Utc>, Error> {
    let text = text.trim();
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| {
            let shown = crate::escape::terminal(text);
            // A zoneless time is another instant on every machine: say so, not "premature end".
            let local = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
                .or_else(|_| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f"));
            let rule = match local {
                Ok(_) => format!(
                    "`{shown}` has no time zone; add one, such as {shown}Z for UTC or {shown}+01:00"
                ),
                Err(_) => format!(
                    "`{shown}` is not an RFC 3339 time: a date, `T`, a time and a zone, such as 2026-11-22T03:00:00Z"
                ),
            };
            Error::rule_from(rule, e)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_code_lists_take_codes_from_0_to_255() {
        assert_eq!(parse_exit_codes("0,24").unwrap(), vec![0, 24]);
        assert_eq!(parse_exit_codes(" 3 ").unwrap(), vec![3]);
        for bad in ["", "0,", "256", "-1", "0;24", "x"] {
            assert!(
                parse_exit_codes(bad)
                    .unwrap_err()
                    .to_string()
                    .contains("such as `0,24`"),
                "{bad}"
            );
        }
    }

    #[test]
    fn switches_counts_and_exit_codes_say_the_rule() {
        assert!(parse_switch("Yes").unwrap());
        assert!(!parse_switch("off").unwrap());
        assert!(parse_switch("maybe")
            .unwrap_err()
            .to_string()
            .contains("`yes`"));
        assert_eq!(parse_count("3", 1, 200).unwrap(), 3);
        assert_eq!(
            parse_count("0", 1, 200).map_err(|e| e.to_string()),
            Err("it must be a whole number from 1 to 200".to_owned())
        );
        assert_eq!(parse_exit_code("-1").map_err(|e| e.to_string()), Ok(-1));
        assert!(parse_exit_code("x")
            .unwrap_err()
            .to_string()
            .contains("whole number"));
    }

    #[test]
    fn a_bare_number_below_a_minute_is_refused_everywhere() {
        let reason = "`24` is 24 seconds, shorter than cron's minute; write 24h or 24s";
        assert_eq!(parse_duration("24"), Err(reason.to_owned()));
        assert_eq!(
            parse_interval("24").unwrap_err().to_string(),
            format!("invalid interval `24`: {reason}")
        );
        for span in [PAUSE, GRACE, WAIT] {
            assert!(span
                .parse("2")
                .unwrap_err()
                .to_string()
                .contains("write 2h or 2s"));
        }
        // With a unit, or from a minute up, or zero: as before.
        assert_eq!(parse_interval("24s").unwrap(), 24);
        assert_eq!(parse_interval("300").unwrap(), 300);
        assert_eq!(parse_interval("60").unwrap(), 60);
        assert_eq!(GRACE.parse("0").map_err(|e| e.to_string()), Ok(0));
        assert_eq!(PAUSE.parse("2s").unwrap(), 2);
    }

    #[test]
    fn spans_say_their_limits_in_words() {
        assert_eq!(
            INTERVAL.parse("401d").map_err(|e| e.to_string()),
            Err("invalid interval `401d`: it must be at most 400 days".to_owned())
        );
        assert_eq!(
            WAIT.at_least(1).parse("0").map_err(|e| e.to_string()),
            Err("invalid duration `0`: it must be at least 1 second".to_owned())
        );
        assert_eq!(say(120), "2 minutes");
        assert_eq!(say(7_200), "2 hours");
        assert_eq!(say(90), "90 seconds");
    }

    #[test]
    fn sizes_take_units_and_a_limit() {
        assert_eq!(
            parse_size("4096", u64::MAX, "").map_err(|e| e.to_string()),
            Ok(4096)
        );
        assert_eq!(parse_size("4KiB", u64::MAX, "").unwrap(), 4096);
        assert_eq!(parse_size("1M", u64::MAX, "").unwrap(), 1 << 20);
        for bad in ["", "KiB", "1GiB", "-1", "99999999999999999999M"] {
            assert!(parse_size(bad, u64::MAX, "").is_err(), "{bad}");
        }
        assert_eq!(
            parse_size("9KiB", 8192, "; use --log for more").map_err(|e| e.to_string()),
            Err(
                "invalid size `9KiB`: it must be at most 8192 bytes; use --log for more".to_owned()
            )
        );
    }

    #[test]
    fn factors_must_exceed_one() {
        assert_eq!(parse_factor("2").map_err(|e| e.to_string()), Ok(2.0));
        assert_eq!(parse_factor("1.5").unwrap(), 1.5);
        for bad in ["1", "0.5", "-3", "x", "inf", "NaN"] {
            assert!(parse_factor(bad).is_err(), "{bad}");
        }
    }
}
