//! What adoption would do to one crontab: each job line's wrapper form,
//! the lines left alone and why, and the lines refused. A line is rewritten
//! keeping all cron reads: the time and user fields as written, the `\%`
//! escapes, and the text after the first unescaped `%` (the job's input).

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::name;
use crate::record::{format_duration, parse_interval, INTERVAL_MAX};
use crate::schedule::command::find_hb_writes;
use crate::schedule::crontab::{self, split_word, Flavour};
use crate::schedule::{parse_zone, Schedule, Source};

/// The most job lines adopted from one crontab; a longer one is refused.
const MAX_ENTRIES: usize = 5000;

/// The longest command Debian's cron reads (the text after the time
/// fields and the user field), in bytes; `crontab -n` refuses longer.
const COMMAND_MAX: usize = 998;

/// An adoption of a host's crontabs: what to adopt and how (`zone` where no
/// `CRON_TZ` is set), and the names taken (by hb-write lines and adoption).
#[derive(Debug, Default)]
pub(crate) struct Adoption {
    pub(crate) only: Vec<String>,
    pub(crate) exclude: Vec<regex::Regex>,
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
        // cron runs the lines below a `SHELL=` with that shell.
        let sets_shell = |l: &&str| {
            crontab::setting(l.trim_start_matches([' ', '\t'])).is_some_and(|(n, _)| n == "SHELL")
        };
        let first_shell = lines.iter().position(sets_shell).map(|i| i + 1);
        for entry in entries {
            let raw = lines[entry.line - 1];
            let reboot = entry.when.eq_ignore_ascii_case("@reboot");
            if reboot || !find_hb_writes(&entry.command).is_empty() || raw.contains("hb-write") {
                let left = if reboot {
                    "`@reboot` runs once, with no interval to check"
                } else {
                    "it already calls hb-write"
                };
                plan.notes.push((entry.line, format!("left alone: {left}")));
                continue;
            }
            let base = name::derive(&entry.command, 0).unwrap_or_else(|| "job".to_owned());
            let chosen = self.only.is_empty() || self.only.contains(&base);
            if !chosen || self.exclude.iter().any(|glob| glob.is_match(&base)) {
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
            let (head, command, input) = split(raw, flavour == Flavour::System);
            let (command, wrapped) = rewrite(command, &entry.command, &call, shell);
            // What cron counts: all after the time fields and the user field.
            let len = command.len() + input.len();
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
            plan.adopted
                .push((entry.line, format!("{head}{command}{input}")));
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
/// for one too large to build (`--adopt` refuses it).
pub(super) fn glob(pattern: &str) -> Option<regex::Regex> {
    let glob = regex::escape(pattern).replace(r"\*", ".*");
    let glob = glob.replace(r"\?", ".");
    regex::Regex::new(&format!("^(?s:{glob})$")).ok()
}

/// The line cut where cron cuts it: time and user fields with their blanks;
/// the command as written, up to the first unescaped `%`; the job's input.
fn split(line: &str, system: bool) -> (&str, &str, &str) {
    let at_macro = line.trim_start_matches([' ', '\t']).starts_with('@');
    let words = if at_macro { 1 } else { 5 } + usize::from(system);
    let rest = (0..words).fold(line, |rest, _| split_word(rest).1);
    // cron's rule: `\%` is a plain `%`.
    let mut percent = rest.match_indices('%').map(|(i, _)| i);
    let cut = (percent.find(|&i| !rest[..i].ends_with('\\'))).unwrap_or(rest.len());
    (&line[..line.len() - rest.len()], &rest[..cut], &rest[cut..])
}

/// Shell words that cannot start a command hb-write runs: keywords and
/// builtins without a program of that name.
const SHELL_ONLY: &[&str] = &[
    "if", "for", "while", "until", "case", "!", "[[", "{", "function", "cd", "exec", "eval", ".",
    "source", "export", "set", "unset", "alias", "trap", "ulimit", "umask", "wait", "read",
    "shift", "exit", "readonly", "local", "type", "hash", "builtin", ":", "time",
];

/// Where hb-write's call goes in a raw command (cron's escapes in): past its
/// `NAME=value` words; `None`: shell syntax, so only as one shell argument.
fn form(command: &str) -> Option<usize> {
    let bytes = command.as_bytes();
    let (mut words, mut start, mut i) = (Vec::new(), None, 0);
    while i < bytes.len() {
        match bytes[i] {
            b' ' | b'\t' => words.extend(start.take().map(|s| (s, i))),
            b';' | b'&' | b'|' | b'<' | b'>' | b'(' | b')' | b'\n' => return None,
            b'#' if start.is_none() => break,
            b => {
                start.get_or_insert(i);
                match b {
                    b'\'' => i += 1 + bytes[i + 1..].iter().position(|&q| q == b'\'')?,
                    // To the closing quote, past each escaped character.
                    b'"' => {
                        i += 1;
                        while *bytes.get(i)? != b'"' {
                            i += 1 + usize::from(bytes[i] == b'\\');
                        }
                    }
                    b'\\' => i += 1,
                    _ => {}
                }
            }
        }
        i += 1;
    }
    words.extend(start.map(|s| (s, bytes.len().min(i))));
    let word = |(s, e): (usize, usize)| &command[s..e.min(command.len())];
    // Only variables set, or a shell keyword or builtin first.
    let program = *words.iter().find(|w| !is_assignment(word(**w)))?;
    (!SHELL_ONLY.contains(&word(program))).then_some(program.0)
}

pub(crate) fn is_assignment(word: &str) -> bool {
    let name = word.split_once('=').map_or("", |(name, _)| name);
    let ok =
        |(i, b): (usize, u8)| b == b'_' || b.is_ascii_alphabetic() || (i > 0 && b.is_ascii_digit());
    !name.is_empty() && name.bytes().enumerate().all(ok)
}

/// A word quoted for the shell when it needs quotes.
fn quote(word: &str) -> String {
    let safe = |b: u8| b.is_ascii_alphanumeric() || b"/._-+:,=@".contains(&b);
    if !word.is_empty() && word.bytes().all(safe) {
        return word.to_owned();
    }
    quote_always(word)
}

/// The command `raw` (cron's escapes in) after `call`, or `true` with the
/// command as cron hands it over (`unescaped`) made one `shell -c` argument.
fn rewrite(raw: &str, unescaped: &str, call: &str, shell: &str) -> (String, bool) {
    let call = call.replace('%', "\\%");
    if let Some(assignments) = form(raw) {
        let (set, run) = raw.split_at(assignments);
        return (format!("{set}{call} {run}"), false);
    }
    let body = unescaped.trim_end_matches([' ', '\t']);
    let trailing = &unescaped[body.len()..];
    let argument = format!("{shell} -c {}", quote_always(body)).replace('%', "\\%");
    (format!("{call} {argument}{trailing}"), true)
}

fn quote_always(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_whole_names_and_nothing_else_is_special() {
        let matches = |pattern: &str, name: &str| glob(pattern).unwrap().is_match(name);
        assert!(matches("a*", "artisan") && matches("b?ck*", "backup") && matches("", ""));
        assert!(!matches("a*", "backup") && !matches("cron.*", "cronXdaily"));
        assert!(matches(r"a\*", r"a\xyz") && !matches("a?", "a") && !matches("", "x"));
    }

    #[test]
    fn lines_split_where_cron_splits_them() {
        let s = split("0 3 * * *  root  a \\% b % in%put", true);
        assert_eq!(s, ("0 3 * * *  root  ", "a \\% b ", "% in%put"));
        assert_eq!(split("\t@daily run", false), ("\t@daily ", "run", ""));
    }

    #[test]
    fn forms() {
        assert_eq!(form("a b 'c;d'"), Some(0));
        assert_eq!(form("A=1 B='x y' a"), Some(12));
        assert_eq!(form("a && b"), None);
        assert_eq!(form("a > /dev/null"), None);
        assert_eq!(form("cd /x"), None);
        assert_eq!(form("A=1"), None);
        assert_eq!(form("a 'b"), None);
        assert_eq!(quote("it's"), r"'it'\''s'");
    }
}
