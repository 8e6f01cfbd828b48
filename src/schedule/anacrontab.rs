//! An anacrontab as anacron reads it: comments, `NAME=value` settings and
//! job lines `PERIOD DELAY IDENTIFIER COMMAND`, `\` joining lines.

use super::crontab::{split_word, BadLine};
use super::timing::{minutes, Period};

const MAX_DELAY_MINUTES: u64 = 7 * 24 * 60;
/// The longest period taken, in days: ten years.
const MAX_PERIOD_DAYS: u32 = 3660;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Job {
    /// The line number, from 1 (the first of a joined line).
    pub line: usize,
    pub period: Period,
    pub delay_minutes: u64,
    /// The job identifier: its timestamp file's name.
    pub identifier: String,
    pub command: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Anacrontab {
    pub jobs: Vec<Job>,
    /// Lines anacron refuses, and settings whose values it cannot use.
    pub bad: Vec<BadLine>,
    /// `RANDOM_DELAY` in minutes: the last one set counts.
    pub random_delay: Option<u64>,
    /// `START_HOURS_RANGE` as `[from, to)` hours.
    pub hours: Option<(u32, u32)>,
}

pub(crate) fn parse(text: &str) -> Anacrontab {
    let mut tab = Anacrontab::default();
    for (line, text) in super::runparts::joined_lines(text, true) {
        let trimmed = text.trim_start_matches([' ', '\t']);
        if trimmed.trim().is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let read = match setting(trimmed) {
            Some(("RANDOM_DELAY", value)) => minutes(value, MAX_DELAY_MINUTES)
                .map(|m| tab.random_delay = Some(m))
                .ok_or_else(|| {
                    format!("RANDOM_DELAY=`{}` is not a number of minutes from 0 to {MAX_DELAY_MINUTES}", crate::escape::value(value))
                }),
            Some(("START_HOURS_RANGE", value)) => hours(value)
                .map(|h| tab.hours = Some(h))
                .ok_or_else(|| {
                    format!("START_HOURS_RANGE=`{}` is not a range of hours FROM-TO with 0 <= FROM < TO <= 24", crate::escape::value(value))
                }),
            Some(_) => Ok(()),
            None => job(trimmed, line).map(|job| tab.jobs.push(job)),
        };
        if let Err(reason) = read {
            tab.bad.push(BadLine { line, reason });
        }
    }
    tab
}

/// `NAME=value`: the name runs to a blank or `=`, the value is the rest as written.
fn setting(line: &str) -> Option<(&str, &str)> {
    let end = line.find([' ', '\t', '='])?;
    let (name, rest) = line.split_at(end);
    let value = rest.trim_start_matches([' ', '\t']).strip_prefix('=')?;
    Some((name, value.trim()))
}

/// `FROM-TO`, hours with FROM < TO <= 24.
fn hours(value: &str) -> Option<(u32, u32)> {
    let (from, to) = value.split_once('-')?;
    let (from, to) = (from.trim().parse().ok()?, to.trim().parse().ok()?);
    (from < to && to <= 24).then_some((from, to))
}

fn job(line: &str, number: usize) -> Result<Job, String> {
    let (period, rest) = split_word(line);
    let (delay, rest) = split_word(rest);
    let (identifier, rest) = split_word(rest);
    let command = rest.trim_end();
    let period = match period.to_ascii_lowercase().as_str() {
        "@daily" => Period::Days(1),
        "@weekly" => Period::Days(7),
        "@monthly" => Period::Monthly,
        "@yearly" | "@annually" => Period::Yearly,
        named if named.starts_with('@') => Err(format!("`{period}` is not a period anacron knows (a number of days, @daily, @weekly, @monthly, @yearly)"))?,
        _ => match period.parse::<u32>() {
            Ok(days) if days <= MAX_PERIOD_DAYS => Period::Days(days.max(1)),
            _ => Err(format!("the period `{period}` is not a number of days from 0 to {MAX_PERIOD_DAYS} or a name like @monthly"))?,
        },
    };
    let delay_minutes = minutes(delay, MAX_DELAY_MINUTES).ok_or_else(|| {
        format!("the delay `{delay}` is not a number of minutes from 0 to {MAX_DELAY_MINUTES}")
    })?;
    if identifier.is_empty() || identifier.contains('/') {
        let why = "is empty or has a `/`, which anacron refuses";
        return Err(format!("the job identifier `{identifier}` {why}"));
    }
    if command.is_empty() {
        return Err("it has no command".to_owned());
    }
    Ok(Job {
        line: number,
        period,
        delay_minutes,
        identifier: identifier.to_owned(),
        command: command.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEBIAN: &str = "\
# /etc/anacrontab: configuration file for anacron
SHELL=/bin/sh
HOME=/root
RANDOM_DELAY=45
START_HOURS_RANGE=3-22

# These replace cron's entries
1\t5\tcron.daily\trun-parts --report /etc/cron.daily
7\t10\tcron.weekly\trun-parts --report /etc/cron.weekly
@monthly\t15\tcron.monthly\trun-parts --report \\
  /etc/cron.monthly
";

    #[test]
    fn debian_s_file_gives_three_jobs_and_the_settings() {
        let tab = parse(DEBIAN);
        assert!(tab.bad.is_empty(), "{:?}", tab.bad);
        assert_eq!(tab.random_delay, Some(45));
        assert_eq!(tab.hours, Some((3, 22)));
        let periods: Vec<Period> = tab.jobs.iter().map(|j| j.period).collect();
        assert_eq!(periods, [Period::Days(1), Period::Days(7), Period::Monthly]);
        assert_eq!(tab.jobs[1].delay_minutes, 10);
        assert_eq!(tab.jobs[2].line, 10);
        assert_eq!(tab.jobs[2].identifier, "cron.monthly");
        assert_eq!(
            tab.jobs[2].command,
            "run-parts --report   /etc/cron.monthly"
        );
    }

    #[test]
    fn bad_lines_are_named_by_line_with_the_rule() {
        let text = "\
1 5 ok true
x 5 a true
1 soon b true
1 5 a/b true
@fortnightly 5 c true
1 5 d
RANDOM_DELAY=lots
START_HOURS_RANGE=22-3
99999999999 1 e true
";
        let tab = parse(text);
        assert_eq!(tab.jobs.len(), 1);
        let lines: Vec<usize> = tab.bad.iter().map(|b| b.line).collect();
        assert_eq!(lines, [2, 3, 4, 5, 6, 7, 8, 9]);
        assert!(tab.bad[0].reason.contains("`x`"));
        assert!(tab.bad[1].reason.contains("`soon`"));
        assert!(tab.bad[2].reason.contains('/'));
        assert!(tab.bad[3].reason.contains("@fortnightly"));
        assert!(tab.bad[5].reason.contains("RANDOM_DELAY=`lots`"));
        assert!(tab.bad[6].reason.contains("22-3"));
        assert_eq!(tab.random_delay, None);
    }
}
