//! A crontab as cron reads it: comments, `NAME=value` settings, entries (time
//! fields or a macro, the system crontabs' user, the command up to `%`).

/// Whether entries name a user: `/etc/crontab`'s and `/etc/cron.d/*`'s do, the spool's not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavour {
    User,
    System,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub line: usize,
    /// The time fields as written (`0 3 * * *`) or the macro (`@daily`).
    pub when: String,
    pub user: Option<String>,
    /// The text before the first unescaped `%`, `\%` read as `%`.
    pub command: String,
    /// Whether an unescaped `%` cut the command.
    pub cut: bool,
    /// `CRON_TZ` (else `TZ`) as set above the entry.
    pub zone: Option<String>,
    /// cronie's `RANDOM_DELAY` as set above the entry, and where.
    pub random_delay: Option<(String, usize)>,
}

/// A line cron would not accept as a setting or an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BadLine {
    pub line: usize,
    pub reason: String,
}

pub(crate) fn parse(text: &str, flavour: Flavour) -> (Vec<Entry>, Vec<BadLine>) {
    let (mut entries, mut bad) = (Vec::new(), Vec::new());
    let (mut cron_tz, mut tz, mut random_delay) = (None, None, None);
    for (index, raw) in text.split('\n').enumerate() {
        let line = index + 1;
        let trimmed = raw.trim_start_matches([' ', '\t']);
        if trimmed.trim().is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if let Some((name, value)) = setting(trimmed) {
            match name.as_str() {
                "CRON_TZ" => cron_tz = Some(value),
                "TZ" => tz = Some(value),
                "RANDOM_DELAY" => {
                    random_delay = Some((value, line)).filter(|(v, _)| !v.is_empty());
                }
                _ => {}
            }
            continue;
        }
        match entry(trimmed, flavour) {
            Ok((when, user, rest)) => {
                let (command, cut) = cut_at_percent(rest);
                let zone = cron_tz.as_ref().or(tz.as_ref());
                entries.push(Entry {
                    line,
                    when,
                    user,
                    command,
                    cut,
                    zone: zone.filter(|z| !z.is_empty()).cloned(),
                    random_delay: random_delay.clone(),
                });
            }
            Err(reason) => bad.push(BadLine { line, reason }),
        }
    }
    (entries, bad)
}

/// cron's `load_env`: a name quoted or to a blank or `=`, blanks around `=` dropped, a quoted
/// value unquoted, else right-trimmed.
pub(crate) fn setting(line: &str) -> Option<(String, String)> {
    let (name, rest) = if let q @ ('"' | '\'') = line.chars().next()? {
        let end = line[1..].find(q)? + 1;
        (&line[1..end], &line[end + 1..])
    } else {
        let end = line.find([' ', '\t', '=']).unwrap_or(line.len());
        (&line[..end], &line[end..])
    };
    let value = rest.trim_start_matches([' ', '\t']).strip_prefix('=')?;
    let value = value.trim_start_matches([' ', '\t']);
    let value = value.trim_end_matches([' ', '\t', '\r']);
    let unquoted = match value.as_bytes() {
        [q @ (b'"' | b'\''), .., last] if last == q => &value[1..value.len() - 1],
        _ => value,
    };
    (!name.is_empty()).then(|| (name.to_owned(), unquoted.to_owned()))
}

/// An entry's schedule, user (system crontabs only) and command.
fn entry(line: &str, flavour: Flavour) -> Result<(String, Option<String>, &str), String> {
    let (mut rest, mut when) = (line, Vec::with_capacity(5));
    for _ in 0..if line.starts_with('@') { 1 } else { 5 } {
        let (word, after) = split_word(rest);
        if word.is_empty() {
            return Err("it has fewer than five time fields and no command".to_owned());
        }
        when.push(word);
        rest = after;
    }
    let mut user = None;
    if flavour == Flavour::System {
        let (word, after) = split_word(rest);
        if word.is_empty() {
            return Err("it has no user field, which a system crontab needs".to_owned());
        }
        (user, rest) = (Some(word.to_owned()), after);
    }
    if rest.trim().is_empty() {
        return Err("it has no command".to_owned());
    }
    Ok((when.join(" "), user, rest))
}

pub(crate) fn split_word(text: &str) -> (&str, &str) {
    let text = text.trim_start_matches([' ', '\t']);
    let end = text.find([' ', '\t']).unwrap_or(text.len());
    (&text[..end], text[end..].trim_start_matches([' ', '\t']))
}

/// cron's `%` rule: the first unescaped `%` ends the command (the rest is its input).
fn cut_at_percent(command: &str) -> (String, bool) {
    let mut out = String::with_capacity(command.len());
    let mut chars = command.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.next_if_eq(&'%').is_some() => out.push('%'),
            '%' => return (out, true),
            _ => out.push(c),
        }
    }
    (out, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_settings_and_entries() {
        let text = "# m h dom mon dow command\n\
                    \n\
                    MAILTO=ops@example.com\n\
                    SHELL = /bin/bash\n\
                    \t# indented comment\n\
                    CRON_TZ=\"Europe/Berlin\"\n\
                    0 3 * * * /usr/local/bin/backup && hb-write backup 1d\n\
                    @hourly hb-write tick 1h\n";
        let (entries, bad) = parse(text, Flavour::User);
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].line, 7);
        assert_eq!(entries[0].when, "0 3 * * *");
        assert_eq!(entries[0].zone.as_deref(), Some("Europe/Berlin"));
        assert_eq!(
            entries[0].command,
            "/usr/local/bin/backup && hb-write backup 1d"
        );
        assert_eq!(entries[1].when, "@hourly");
        assert_eq!(entries[1].user, None);
    }

    #[test]
    fn settings_read_as_cron_reads_them() {
        assert_eq!(setting("A=b"), Some(("A".into(), "b".into())));
        assert_eq!(setting("A = 'b c' "), Some(("A".into(), "b c".into())));
        assert_eq!(setting("\"A B\"=c"), Some(("A B".into(), "c".into())));
        assert_eq!(
            setting("MAILTO=\"\""),
            Some(("MAILTO".into(), String::new()))
        );
        assert_eq!(setting("0 3 * * * a=b"), None);
        assert_eq!(setting("*/5 * * * * x"), None);
        assert_eq!(setting("=x"), None);
    }

    #[test]
    fn cron_tz_wins_over_tz_and_settings_apply_below_them() {
        let text = "0 1 * * * a\nTZ=America/New_York\n0 2 * * * b\nCRON_TZ=Asia/Tokyo\n0 3 * * * c\nCRON_TZ=\n0 4 * * * d\n";
        let (entries, _) = parse(text, Flavour::User);
        let zones: Vec<Option<&str>> = entries.iter().map(|e| e.zone.as_deref()).collect();
        assert_eq!(
            zones,
            [None, Some("America/New_York"), Some("Asia/Tokyo"), None]
        );
    }

    #[test]
    fn system_crontabs_have_a_user_field() {
        let text = "17 * * * * root cd / && run-parts --report /etc/cron.hourly\n@reboot backup hb-write boot 1d\n0 3 * * * root\n";
        let (entries, bad) = parse(text, Flavour::System);
        assert_eq!(entries[0].user.as_deref(), Some("root"));
        assert_eq!(
            entries[0].command,
            "cd / && run-parts --report /etc/cron.hourly"
        );
        assert_eq!(entries[1].user.as_deref(), Some("backup"));
        assert_eq!(entries[1].when, "@reboot");
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].line, 3);
    }

    #[test]
    fn percent_cuts_the_command_unless_escaped() {
        assert_eq!(
            cut_at_percent("date +%F && hb-write x 1d"),
            ("date +".to_owned(), true)
        );
        assert_eq!(
            cut_at_percent("date +\\%F && hb-write x 1d"),
            ("date +%F && hb-write x 1d".to_owned(), false)
        );
        assert_eq!(
            cut_at_percent("mail -s hi%body"),
            ("mail -s hi".to_owned(), true)
        );
    }

    #[test]
    fn short_lines_are_bad_lines() {
        let (entries, bad) = parse("0 3 * *\n0 3 * * *   \n", Flavour::User);
        assert!(entries.is_empty());
        assert_eq!(bad.len(), 2);
        assert!(bad[0].reason.contains("five"));
        assert!(bad[1].reason.contains("no command"));
    }
}
