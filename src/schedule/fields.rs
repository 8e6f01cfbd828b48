//! The five time fields as Debian's cron reads them (`entry.c`), where other parsers differ: a
//! range or `*` takes a step of any size (`*/100` is the first value only), a number alone none
//! (`5/10` is refused); names (`jan`, `mon`) only for month and day of week; day of week 7 is
//! Sunday; what follows a complete list is ignored (`*/5/2` is `*/5`); a downward range is set as
//! cron's `bit_nset` sets it (`22-2` is 22, 23, 0, 1, 2; `5-1` nothing), none with a step.

use chrono::{Datelike, NaiveDate};

const NAMES: [&str; 5] = ["minute", "hour", "day of month", "month", "day of week"];

/// The lowest and highest value of each field (day of week 7 is Sunday).
const BOUNDS: [(i32, i32); 5] = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)];

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: [&str; 8] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const NAMED: [&[&str]; 5] = [&[], &[], &[], &MONTHS, &DAYS];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Fields {
    /// One bit per value, bit 0 for the field's lowest; day of week 0 (Sunday) to 6.
    pub bits: [u64; 5],
    /// Fixed-time to cron (neither minute nor hour starts with `*`): how clock changes treat it.
    pub fixed_time: bool,
    /// Whether both day fields must match (either starts with `*`), not either.
    and_days: bool,
}

impl Fields {
    /// Reads five fields, or says which is wrong as cron would (`minute 60 outside 0-59`).
    pub(super) fn parse(fields: &[&str; 5]) -> Result<Fields, String> {
        let mut bits = [0; 5];
        for (i, field) in fields.iter().enumerate() {
            bits[i] = list(field, i).map_err(|why| format!("{} {why}", NAMES[i]))?;
        }
        // Sunday is 0 and 7.
        bits[4] = (bits[4] | bits[4] >> 7) & 0x7f;
        let star = |i: usize| fields[i].starts_with('*');
        Ok(Fields {
            bits,
            fixed_time: !(star(0) || star(1)),
            and_days: star(2) || star(4),
        })
    }

    /// Whether the fields select any time at all (`5-1 * * * *` does not).
    pub(super) fn selects_some(&self) -> bool {
        self.days(self.bits[2] != 0, self.bits[4] != 0)
            && [0, 1, 3].iter().all(|&i| self.bits[i] != 0)
    }

    /// cron's rule for the day fields (see `and_days`).
    fn days(&self, dom: bool, dow: bool) -> bool {
        (dom && dow) || (!self.and_days && (dom || dow))
    }

    /// Whether field `i` selects `value`, counted from its lowest (0).
    pub(super) fn has(&self, i: usize, value: u32) -> bool {
        self.bits[i] >> value & 1 == 1
    }

    pub(super) fn day_matches(&self, date: NaiveDate) -> bool {
        let dow = date.weekday().num_days_from_sunday();
        self.days(self.has(2, date.day0()), self.has(4, dow))
    }

    /// The value field `i` selects nearest `from` (included), above it if `up`, else below.
    pub(super) fn nearest(&self, i: usize, from: u32, up: bool) -> Option<u32> {
        let bits = self.bits[i];
        if up {
            let above = bits.checked_shr(from).unwrap_or(0);
            (above != 0).then(|| from + above.trailing_zeros())
        } else {
            let below = bits & (u64::MAX >> (63 - from.min(63)));
            (below != 0).then(|| below.ilog2())
        }
    }
}

/// Field `i`: ranges separated by `,`, as cron's `get_list` reads them.
fn list(field: &str, i: usize) -> Result<u64, String> {
    let mut bits = 0u64;
    let mut at = range(field, 0, i, &mut bits)?;
    while field.as_bytes().get(at) == Some(&b',') {
        at = range(field, at + 1, i, &mut bits)?;
    }
    // A downward range may set values past the top of its last byte.
    Ok(bits & u64::MAX >> (63 - (BOUNDS[i].1 - BOUNDS[i].0)))
}

/// One range at `at`, as cron's `get_range` (`*`, `N`, `N-M`, then `/step`); returns its end.
fn range(field: &str, at: usize, i: usize, bits: &mut u64) -> Result<usize, String> {
    let ((low, high), names, bytes) = (BOUNDS[i], NAMED[i], field.as_bytes());
    let outside = |n: i32| format!("{n} outside {low}-{high}");
    let (first, last, mut at) = if bytes.get(at) == Some(&b'*') {
        (low, high, at + 1)
    } else {
        let (first, at) = number(field, at, names)?;
        match bytes.get(at) {
            Some(b'-') => number(field, at + 1, names).map(|(last, at)| (first, last, at))?,
            Some(b'/') => {
                let why = "a step needs a range or `*` before it, as in";
                return Err(format!("`{field}`: {why} `{first}-{high}/N`"));
            }
            _ if (low..=high).contains(&first) => {
                *bits |= 1 << (first - low);
                return Ok(at);
            }
            _ => return Err(outside(first)),
        }
    };
    let mut step = 1;
    if bytes.get(at) == Some(&b'/') {
        (step, at) = number(field, at + 1, &[])?;
        if step <= 0 {
            return Err(format!("step {step}: a step must be 1 or more"));
        }
    }
    if let Some(n) = ([first, last].into_iter()).find(|n| !(low..=high).contains(n)) {
        return Err(outside(n));
    }
    let (start, stop) = ((first - low) as u32, (last - low) as u32);
    if step == 1 {
        *bits |= bytewise_range(start, stop);
    } else {
        (start..=stop)
            .step_by(step as usize)
            .for_each(|i| *bits |= 1 << i);
    }
    Ok(at)
}

/// cron's `bit_nset`: a downward range sets the top of start's byte, the bottom of stop's (if two).
fn bytewise_range(start: u32, stop: u32) -> u64 {
    // The values `from..=to`, none when `from` is above `to`.
    let bits = |from: u32, to: u32| (u64::MAX >> (63 - to)) & (u64::MAX << from);
    if start <= stop || start / 8 == stop / 8 {
        bits(start, stop)
    } else {
        bits(start, start | 7) | bits(stop & !7, stop)
    }
}

/// cron's `get_number` at `at`: a name of `names` (any case) or C's `atoi` (saturating, to `int`).
fn number(field: &str, at: usize, names: &[&str]) -> Result<(i32, usize), String> {
    let rest = field.get(at..).unwrap_or_default();
    let len = rest.bytes().take_while(u8::is_ascii_alphanumeric).count();
    let (word, end) = (&rest[..len], at + len);
    if word.is_empty() {
        let why = format!("`{field}` has a part that is no number, name or `*`");
        return Err(why);
    }
    if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(word)) {
        let low = i32::from(names.len() == MONTHS.len());
        return Ok((i as i32 + low, end));
    }
    if !word.bytes().all(|b| b.is_ascii_digit()) {
        let why = format!("`{word}` is neither a number nor a name cron knows");
        return Err(why);
    }
    let long = word.bytes().fold(0i64, |n, d| {
        n.saturating_mul(10).saturating_add(i64::from(d - b'0'))
    });
    Ok((long as i32, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Fields, String> {
        let fields: Vec<&str> = text.split(' ').collect();
        Fields::parse(&fields.try_into().unwrap())
    }

    fn values(text: &str, field: usize) -> Vec<i32> {
        let bits = read(text).unwrap().bits[field];
        (0..64)
            .filter(|b| bits >> b & 1 == 1)
            .map(|b| b + BOUNDS[field].0)
            .collect()
    }

    #[test]
    fn what_crontab_n_accepts_is_read() {
        // Each of these is accepted by Debian's `crontab -n`.
        assert_eq!(values("*/100000 * * * *", 0), [0]);
        assert_eq!(values("*/5/2 * * * *", 0), values("*/5 * * * *", 0));
        assert_eq!(values("0-0/5 * * * *", 0), [0]);
        assert_eq!(values("0 22-2 * * *", 1), [0, 1, 2, 22, 23]);
        assert_eq!(values("5-1 * * * *", 0), Vec::<i32>::new());
        assert_eq!(values("5-1/2 * * * *", 0), Vec::<i32>::new());
        assert_eq!(values("0 0 30-1 * *", 2), [1, 30, 31]);
        assert_eq!(
            values("50-10 * * * *", 0),
            [8, 9, 10, 50, 51, 52, 53, 54, 55]
        );
        assert_eq!(values("0 0 * JAN,mar *", 3), [1, 3]);
        assert_eq!(values("0 0 * * 7", 4), [0]);
        assert_eq!(values("0 0 * * mon-fri", 4), [1, 2, 3, 4, 5]);
        assert_eq!(values("0 0 * * fri-mon", 4), Vec::<i32>::new());
        assert_eq!(values("0 9-17/2 * * *", 1), [9, 11, 13, 15, 17]);
    }

    #[test]
    fn what_crontab_n_refuses_is_refused_in_its_words() {
        for (text, why) in [
            ("60 * * * *", "minute 60 outside 0-59"),
            ("0 24 * * *", "hour 24 outside 0-23"),
            ("0 0 0 * *", "day of month 0 outside 1-31"),
            ("0 0 * 13 *", "month 13 outside 1-12"),
            ("0 0 * * 8", "day of week 8 outside 0-7"),
            ("1-60 * * * *", "minute 60 outside 0-59"),
            ("*/0 * * * *", "minute step 0: a step must be 1 or more"),
            ("5/10 * * * *", "minute `5/10`: a step needs a range or `*`"),
            ("L * * * *", "minute `L` is neither a number nor a name"),
            ("0 0 * * 5L", "day of week `5L` is neither"),
            ("0 0 * jan-xyz *", "month `xyz` is neither"),
            ("0 mon * * *", "hour `mon` is neither"),
            ("1,,2 * * * *", "minute `1,,2` has a part that is no number"),
            ("0 0 ? * *", "day of month `?` has a part that is no number"),
        ] {
            let err = read(text).unwrap_err();
            assert!(err.starts_with(why), "{text}: {err}");
        }
    }

    #[test]
    fn fixed_time_is_cron_s_reading() {
        assert!(read("30 2,14 * * *").unwrap().fixed_time);
        assert!(read("0-59 0-23 * * *").unwrap().fixed_time);
        assert!(!read("*/15 2 * * *").unwrap().fixed_time);
        assert!(!read("0 * * * *").unwrap().fixed_time);
        assert!(!read("*/100000 3 * * *").unwrap().fixed_time);
    }
}
