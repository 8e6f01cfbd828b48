//! What adoption would do to one crontab: each job line's wrapper form,
//! the lines left alone and why, and the lines refused.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::line::{self, quote, COMMAND_MAX};
use super::name;
use crate::record::{format_duration, parse_interval, INTERVAL_MAX};
use crate::schedule::command::find_hb_writes;
use crate::schedule::crontab::{self, Flavour};
use crate::schedule::{parse_zone, Schedule, Source};

/// The most job lines adopted from one crontab; a longer one is refused.
pub(crate) const MAX_ENTRIES: usize = 5000;

/// An adoption of a host's crontabs: what to adopt and how (`zone` for the
/// lines that set no `CRON_TZ`, `now` the instant gaps are measured from),
/// and the names taken (by hb-write lines and by adoption so far).
#[derive(Debug, Default)]
pub(crate) struct Adoption {
    pub(crate) only: Vec<String>,
    pub(crate) exclude: Vec<String>,
    pub(crate) slack: u64,
    pub(crate) program: String,
    pub(crate) zone: Tz,
    pub(crate) now: DateTime<Utc>,
    pub(super) taken: HashMap<String, Source>,
    pub(super) gaps: HashMap<(String, Tz), Option<u64>>,
}

/// By line (from 1): each adopted line's new text; notes for a person (a
/// renamed job, a command run through the shell, a line left alone).
#[derive(Debug, Clone, Default)]
pub(crate) struct Plan {
    pub(crate) adopted: Vec<(usize, String)>,
    pub(crate) notes: Vec<(usize, String)>,
    pub(crate) refused: Vec<(usize, String)>,
}

impl Adoption {
    /// Records the jobs a crontab's hb-write lines already report.
    pub(crate) fn note_existing(&mut self, path: &Path, text: &str, flavour: Flavour) {
        for entry in crontab::parse(text, flavour).0 {
            let jobs = find_hb_writes(&entry.command).into_iter();
            for job in jobs.filter_map(|c| c.job) {
                let at = || Source::new(path, entry.line);
                self.taken.entry(job.text).or_insert_with(at);
            }
        }
    }

    /// The longest gap between the fires of `when`; `None` if it never fires.
    fn interval(&mut self, when: &str, zone: Tz) -> Option<u64> {
        let now = self.now;
        *(self.gaps.entry((when.to_owned(), zone)))
            .or_insert_with(|| Schedule::parse(when, zone).ok()?.longest_gap(now))
    }

    /// A free name from `base` (`base`, `base-2`, ...) for `at`; a note if renamed.
    fn claim(&mut self, base: &str, at: Source) -> (String, Option<String>) {
        let (mut job, mut n) = (base.to_owned(), 1);
        while self.taken.contains_key(&job) && n < MAX_ENTRIES * 4 {
            n += 1;
            job = format!("{base}-{n}");
        }
        let by = self.taken.get(base).filter(|_| n > 1);
        let note = by.map(|by| format!("job `{job}`: the name `{base}` is taken by {by}"));
        self.taken.insert(job.clone(), at);
        (job, note)
    }

    /// What adoption would do to the crontab `path`.
    pub(crate) fn plan(&mut self, path: &Path, text: &str, flavour: Flavour) -> Plan {
        let mut plan = Plan::default();
        let (entries, _) = crontab::parse(text, flavour);
        if let Some(extra) = entries.get(MAX_ENTRIES) {
            let reason =
                format!("more than {MAX_ENTRIES} job lines in one crontab; adopt it in parts");
            plan.refused.push((extra.line, reason));
            return plan;
        }
        let lines: Vec<&str> = text.split('\n').collect();
        let exclude: Vec<regex::Regex> = self.exclude.iter().filter_map(|p| glob(p)).collect();
        let system = flavour == Flavour::System;
        // cron runs the lines below a `SHELL=` with that shell.
        let sets_shell = |l: &&str| {
            crontab::setting(l.trim_start_matches([' ', '\t'])).is_some_and(|(n, _)| n == "SHELL")
        };
        let first_shell = lines.iter().position(sets_shell).map(|i| i + 1);
        for entry in entries {
            let raw = lines[entry.line - 1];
            let left = if entry.when.eq_ignore_ascii_case("@reboot") {
                Some("`@reboot` runs once, with no interval to check")
            } else if !find_hb_writes(&entry.command).is_empty() || raw.contains("hb-write") {
                Some("it already calls hb-write")
            } else {
                None
            };
            if let Some(left) = left {
                plan.notes.push((entry.line, format!("left alone: {left}")));
                continue;
            }
            let base = name::derive(&entry.command, 0).unwrap_or_else(|| "job".to_owned());
            let chosen = self.only.is_empty() || self.only.contains(&base);
            if !chosen || exclude.iter().any(|glob| glob.is_match(&base)) {
                continue;
            }
            let zone =
                (entry.zone.as_deref().and_then(|z| parse_zone(z).ok())).unwrap_or(self.zone);
            let Some(gap) = self.interval(&entry.when, zone) else {
                let reason = format!("cron never runs `{}`, so it has no interval", entry.when);
                plan.refused.push((entry.line, reason));
                continue;
            };
            let interval = gap.saturating_add(self.slack).min(INTERVAL_MAX);
            let set = first_shell.is_some_and(|s| s < entry.line);
            let shell = if set { "\"$SHELL\"" } else { "sh" };
            let (job, renamed) = self.claim(&base, Source::new(path, entry.line));
            let (program, every) = (quote(&self.program), interval_word(interval));
            let call = format!("{program} {job} {every} --");
            let (text, wrapped) = line::rewrite((raw, system), &entry.command, &call, shell);
            // What cron counts: all after the time fields and the user field.
            let len = text.len() - line::split(raw, system).0.len();
            if len > COMMAND_MAX {
                self.taken.remove(&job);
                let reason = format!("in wrapper form its command would be {len} bytes, more than the {COMMAND_MAX} cron reads; shorten it (a script) and adopt again");
                plan.refused.push((entry.line, reason));
                continue;
            }
            plan.notes.extend(renamed.map(|n| (entry.line, n)));
            if wrapped {
                let note = format!(
                    "job `{job}`: the command runs as one `{shell} -c` argument (it uses shell syntax)"
                );
                plan.notes.push((entry.line, note));
            }
            plan.adopted.push((entry.line, text));
        }
        plan
    }
}

/// The interval as hb-write reads it: compact when exact, else in seconds.
pub(super) fn interval_word(seconds: u64) -> String {
    let word = format_duration(seconds).replace(' ', "");
    match parse_interval(&word) {
        Ok(back) if back == seconds => word,
        _ => seconds.to_string(),
    }
}

/// A pattern of `*` (any text) and `?` (a character) as a regex; `None`
/// for one too large to build, which matches nothing.
fn glob(pattern: &str) -> Option<regex::Regex> {
    let glob = regex::escape(pattern)
        .replace(r"\*", ".*")
        .replace(r"\?", ".");
    regex::Regex::new(&format!("^(?s:{glob})$")).ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn globs_match_whole_names_and_nothing_else_is_special() {
        let matches = |pattern: &str, name: &str| super::glob(pattern).unwrap().is_match(name);
        assert!(matches("a*", "artisan") && matches("b?ck*", "backup") && matches("", ""));
        assert!(!matches("a*", "backup") && !matches("cron.*", "cronXdaily"));
        assert!(matches(r"a\*", r"a\xyz") && !matches("a?", "a") && !matches("", "x"));
    }
}
