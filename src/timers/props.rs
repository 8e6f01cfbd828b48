//! What `systemctl show` prints: a block of `Key=Value` lines per unit, with systemd's spans,
//! timestamps and timer lists. Pure; anything not recognised reads as absent, never a panic.

use chrono::{DateTime, NaiveDateTime, Utc};

/// One unit's properties, in order; a key may repeat (`TimersMonotonic=` once per setting).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Props(Vec<(String, String)>);

impl Props {
    /// The (first) value of `key`, empty when not printed.
    pub(crate) fn text<'a>(&'a self, key: &'a str) -> &'a str {
        self.all(key).next().unwrap_or("")
    }

    pub(crate) fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        (self.0.iter()).filter_map(move |(k, v)| (k == key).then_some(v.as_str()))
    }
}

/// One [`Props`] per unit (blocks end at an empty line); no-`=` lines skipped.
pub(crate) fn blocks(text: &str) -> Vec<Props> {
    let mut all = vec![Props::default()];
    for line in text.lines() {
        if line.trim().is_empty() {
            // Only after a block: a run of blank lines costs nothing.
            if all.last().is_some_and(|p| !p.0.is_empty()) {
                all.push(Props::default());
            }
        } else if let (Some(Props(current)), Some((key, value))) =
            (all.last_mut(), line.split_once('='))
        {
            current.push((key.to_owned(), value.to_owned()));
        }
    }
    all.retain(|p| !p.0.is_empty());
    all
}

/// A systemd span (`0`, `1h 40min`, `33.932520s`, `500ms`) in µs; `None` for `infinity` or else.
pub(crate) fn timespan_us(text: &str) -> Option<u64> {
    let text = text.trim();
    if text.is_empty() || text.len() > 200 {
        return None;
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().ok();
    }
    let mut total = 0.0_f64;
    for word in text.split_whitespace() {
        let split = (word.find(|c: char| !(c.is_ascii_digit() || c == '.'))).unwrap_or(word.len());
        let (number, unit) = word.split_at(split);
        let number: f64 = number.parse().ok()?;
        let scale = match unit {
            "us" | "µs" => 1.0,
            "ms" => 1e3,
            "s" | "sec" => 1e6,
            "min" | "m" => 60e6,
            "h" | "hr" => 3600e6,
            "d" => 86_400e6,
            "w" => 604_800e6,
            "M" | "month" => 2_629_800e6,
            "y" => 31_557_600e6,
            _ => return None,
        };
        total += number * scale;
    }
    // Past u64's microseconds (584,000 years) nothing is a schedule.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    (total.is_finite() && total < 1.8e19).then(|| total.round() as u64)
}

/// A span in whole seconds, rounded up (500 ms still delays a trigger).
pub(crate) fn timespan_seconds(text: &str) -> Option<u64> {
    timespan_us(text).map(|us| us.div_ceil(1_000_000))
}

/// A timestamp as `systemctl show --timestamp=unix` prints it (`@SECONDS`), or its `*USec` instants
/// under `TZ=UTC` (`Sun 2026-12-06 04:31:10 UTC`); `None` for anything else (empty, `n/a`).
pub(crate) fn timestamp(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Some(unix) = text.strip_prefix('@') {
        let seconds: i64 = unix.split('.').next()?.parse().ok()?;
        return DateTime::from_timestamp(seconds, 0).filter(|_| seconds > 0);
    }
    let rest = text.split_once(' ')?.1.strip_suffix(" UTC")?;
    let t = NaiveDateTime::parse_from_str(rest, "%Y-%m-%d %H:%M:%S").ok()?;
    Some(t.and_utc())
}

/// A `TimersCalendar=`/`TimersMonotonic=` entry (`{ OnCalendar=... ; next_elapse=@1796536800 }`):
/// the setting and its next elapse as printed (`@UNIX`, a monotonic span, or `(null)`).
pub(crate) fn trigger(text: &str) -> Option<(&str, &str)> {
    let inner = text.trim().strip_prefix('{')?.strip_suffix('}')?.trim();
    let (setting, next) = inner.rsplit_once(" ; ")?;
    Some((setting.trim(), next.trim().strip_prefix("next_elapse=")?))
}

/// The command lines of `ExecStart=` (`{ path=/bin/sh ; argv[]=/bin/sh -c ... ; ... }`).
pub(crate) fn exec_argvs(text: &str) -> Vec<&str> {
    text.split("argv[]=")
        .skip(1)
        .map(|rest| rest.split(" ; ").next().unwrap_or(rest))
        .collect()
}

/// The elapses `systemd-analyze calendar` prints, in order: the `(in UTC):` lines, else (the host's
/// zone is UTC) the `Next elapse:` and `Iter. #N:` lines. Those are local times even when they end
/// in ` UTC`: a zone such as `<UTC>+5` prints that abbreviation five hours off.
pub(crate) fn calendar_elapses(text: &str) -> Vec<DateTime<Utc>> {
    let elapses = |wanted: fn(&str) -> bool| -> Vec<_> {
        (text.lines())
            .filter_map(|line| {
                let (label, rest) = line.split_once(':')?;
                wanted(label.trim()).then(|| timestamp(rest.trim()))?
            })
            .collect()
    };
    let in_utc = elapses(|label| label == "(in UTC)");
    if in_utc.is_empty() {
        elapses(|label| label == "Next elapse" || label.starts_with("Iter. #"))
    } else {
        in_utc
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const SHOWN: &str = "Unit=hbok.service\n\
TimersCalendar={ OnCalendar=*-*-* *:*:00/10 ; next_elapse=@1796531480 }\n\
NextElapseUSecMonotonic=0\n\
LastTriggerUSec=Sun 2026-12-06 04:31:10 UTC\n\
AccuracyUSec=1s\n\
RandomizedDelayUSec=0\n\
Id=hbok.timer\n\
\n\
Unit=hbfail.service\n\
TimersMonotonic={ OnActiveUSec=1s ; next_elapse=2h 42min 22.531587s }\n\
TimersMonotonic={ OnUnitActiveUSec=5s ; next_elapse=2h 42min 33.932520s }\n\
LastTriggerUSec=\n\
garbage without an equals sign\n\
Id=hbfail.timer\n";

    #[test]
    fn blocks_are_split_by_empty_lines_and_keep_repeated_keys() {
        let all = blocks(SHOWN);
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].text("Id"), "hbok.timer");
        assert_eq!(all[1].all("TimersMonotonic").count(), 2);
        assert_eq!(all[1].all("LastTriggerUSec").next(), Some(""));
        assert_eq!(all[1].text("Nope"), "");
    }

    #[test]
    fn blank_lines_make_no_empty_blocks() {
        let all = blocks(&format!("\n\n{SHOWN}{}", "\n".repeat(100_000)));
        assert_eq!(all.len(), 2);
        assert!(all.capacity() < 100, "{}", all.capacity());
    }

    #[test]
    fn time_spans_read_as_systemd_prints_them() {
        assert_eq!(timespan_us("0"), Some(0));
        assert_eq!(timespan_us("1min"), Some(60_000_000));
        assert_eq!(timespan_us("1h 40min"), Some(6_000_000_000));
        assert_eq!(timespan_us("500ms"), Some(500_000));
        assert_eq!(timespan_us("2h 42min 33.932520s"), Some(9_753_932_520));
        assert_eq!(timespan_us("1w 2d"), Some(777_600_000_000));
        assert_eq!(timespan_seconds("500ms"), Some(1));
        for bad in [
            "infinity",
            "",
            "1 fortnight",
            "min",
            "1e400s",
            "--",
            "9999999999999999y",
        ] {
            assert_eq!(timespan_us(bad), None, "{bad}");
        }
    }

    #[test]
    fn timestamps_read_in_both_forms() {
        let t = Utc.timestamp_opt(1_796_531_470, 0).unwrap();
        assert_eq!(timestamp("@1796531470"), Some(t));
        assert_eq!(timestamp("Sun 2026-12-06 04:31:10 UTC"), Some(t));
        for bad in [
            "",
            "n/a",
            "@",
            "@-5",
            "@0",
            "Sun 2026-12-06 04:31:10 CET",
            "@99999999999999999999",
        ] {
            assert_eq!(timestamp(bad), None, "{bad}");
        }
    }

    #[test]
    fn timer_lists_give_the_setting_and_its_next_elapse() {
        let all = blocks(SHOWN);
        let calendar = trigger(all[0].text("TimersCalendar")).unwrap();
        assert_eq!(calendar, ("OnCalendar=*-*-* *:*:00/10", "@1796531480"));
        let stopped = trigger("{ OnCalendar=Mon *-*-* 00:00:00 ; next_elapse=(null) }").unwrap();
        assert_eq!(stopped.1, "(null)");
        assert_eq!(trigger("{ no separator }"), None);
        assert_eq!(trigger("OnCalendar=daily"), None);
    }

    #[test]
    fn exec_start_gives_its_command_lines() {
        let exec = "{ path=/bin/sh ; argv[]=/bin/sh -c hb-write backup 1d ; ignore_errors=no ; start_time=[n/a] } \
; { path=/bin/true ; argv[]=/bin/true ; ignore_errors=yes }";
        assert_eq!(
            exec_argvs(exec),
            ["/bin/sh -c hb-write backup 1d", "/bin/true"]
        );
        assert!(exec_argvs("{ path=/bin/true }").is_empty());
    }

    #[test]
    fn calendar_elapses_read_in_utc() {
        let utc =
            "  Original form: Mon *-*-* 00:00:00\n    Next elapse: Mon 2026-12-07 00:00:00 UTC\n\
       From now: 19h left\n       Iter. #2: Mon 2026-12-14 00:00:00 UTC\n";
        let all = calendar_elapses(utc);
        assert_eq!(all.len(), 2);
        assert_eq!(all[0], Utc.timestamp_opt(1_796_601_600, 0).unwrap());
        let berlin = "    Next elapse: Mon 2026-12-07 00:00:00 CET\n       (in UTC): Sun 2026-12-06 23:00:00 UTC\n";
        assert_eq!(
            calendar_elapses(berlin),
            [Utc.timestamp_opt(1_796_598_000, 0).unwrap()]
        );
        // A zone named UTC five hours off: its local lines end in ` UTC` too.
        let named_utc = "    Next elapse: Mon 2026-12-07 00:00:00 UTC\n       (in UTC): Mon 2026-12-07 05:00:00 UTC\n";
        assert_eq!(
            calendar_elapses(named_utc),
            [Utc.timestamp_opt(1_796_619_600, 0).unwrap()]
        );
        assert!(calendar_elapses("garbage\n:::\n").is_empty());
    }
}
