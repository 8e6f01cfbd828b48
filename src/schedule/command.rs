//! Finding `hb-write` in a cron command: just enough of the shell's words
//! and separators to see each simple command, and hb-write's arguments.

/// hb-write's options that take a value; a test of hb-write checks that none is missing.
pub(crate) const VALUE_OPTIONS: &str = "--dir --status --exit-code --message --schedule \
    --keep-output --log-max --max-runtime --ok-exit-codes --fail-on --ok-on --min-runtime \
    --retry --retry-delay --stall-after --factor --singleton --ping --ping-style --pause \
    --reason --needs";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Invocation {
    pub job: Option<Word>,
    pub interval: Option<Word>,
    pub schedule: Option<Word>,
    /// `--retire`: the call reports nothing.
    pub retire: bool,
    pub needs: Vec<Word>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Word {
    pub text: String,
    /// Whether the shell expands part of it (`$VAR`), so the crontab cannot tell its value.
    pub expands: bool,
}

/// Each simple command's words (split at `;&|()`, newlines, `#` comments), unquoted as the shell
/// does; with `groups`, a `{` or `}` word splits too (as sh, only standing alone: `/x{a,b}`
/// is one word) and redirections (`2>&1`, `>FILE`) are no words.
pub(crate) fn simple_commands(command: &str, groups: bool) -> Vec<Vec<Word>> {
    let (mut parts, mut part, mut word) = (Vec::new(), Vec::new(), None::<Word>);
    let mut chars = command.chars().peekable();
    while let Some(c) = chars.next() {
        let alone = word.is_none() && chars.peek().is_none_or(|n| " \t\n;&|()".contains(*n));
        let group = groups && matches!(c, '{' | '}') && alone;
        match c {
            ' ' | '\t' => part.extend(word.take()),
            _ if group || "\n;&|()".contains(c) => {
                part.extend(word.take());
                parts.push(std::mem::take(&mut part));
            }
            '<' | '>' if groups => {
                // Neither the redirection's number (`2>`) nor its target is an argument.
                let fd = |w: &Word| w.text.bytes().all(|b| b.is_ascii_digit());
                part.extend(word.take().filter(|w| !fd(w)));
                let operator = |n: &char| matches!(n, '>' | '&' | ' ' | '\t');
                while chars.next_if(operator).is_some() {}
                // The target, to the first blank or operator outside quotes (`> "a b"`).
                let mut quote: Option<char> = None;
                let end = |n: &char| " \t\n;&|()".contains(*n);
                while let Some(n) = chars.next_if(|n| quote.is_some() || !end(n)) {
                    match (quote, n) {
                        (None, '\'' | '"') => quote = Some(n),
                        (Some(q), _) if q == n => quote = None,
                        (None | Some('"'), '\\') => drop(chars.next()),
                        _ => {}
                    }
                }
            }
            '#' if word.is_none() => break,
            _ => {
                let w = word.get_or_insert_with(Word::default);
                match c {
                    '\'' => w.text.extend(chars.by_ref().take_while(|&q| q != '\'')),
                    '"' => {
                        while let Some(q) = chars.next_if(|&q| q != '"') {
                            if q == '\\' {
                                let escaped =
                                    chars.next_if(|n| matches!(n, '"' | '\\' | '$' | '`'));
                                w.text.push(escaped.unwrap_or('\\'));
                            } else {
                                w.expands |= matches!(q, '$' | '`');
                                w.text.push(q);
                            }
                        }
                        chars.next();
                    }
                    '\\' => w.text.extend(chars.next()),
                    _ => {
                        w.expands |= matches!(c, '$' | '`' | '*' | '?' | '[' | '~');
                        w.text.push(c);
                    }
                }
            }
        }
    }
    part.extend(word);
    parts.push(part);
    parts
}

/// The words of a command run without a shell (`--notify exec:...`), `$VAR` and globs kept;
/// `None` with an operator only a shell runs.
pub(crate) fn words(command: &str) -> Option<Vec<String>> {
    let [words] = <[Vec<Word>; 1]>::try_from(simple_commands(command, false)).ok()?;
    Some(words.into_iter().map(|w| w.text).collect())
}

fn is_hb_write(word: &Word) -> bool {
    !word.expands && word.text.rsplit('/').next() == Some("hb-write")
}

/// The words of `command` one slip (separator, case, a letter: `osa_distance`) from `hb-write`:
/// silently unmonitored jobs.
pub(crate) fn near_misses(command: &str) -> Vec<String> {
    let slip = |w: &Word| {
        let lower = w.text.rsplit('/').next().unwrap_or_default();
        let lower = lower.to_ascii_lowercase();
        lower.replace(['-', '_', '.'], "") == "hbwrite"
            || (lower.is_ascii() && strsim::osa_distance(&lower, "hb-write") <= 1)
    };
    let words = simple_commands(command, false).into_iter().flatten();
    let misses = words.filter(|w| !w.expands && !is_hb_write(w) && slip(w));
    misses.map(|w| w.text).collect()
}

/// Every `hb-write` call in `command`, bare or by path, behind `&&`, `;`, `env`, `nice`...
pub(crate) fn find_hb_writes(command: &str) -> Vec<Invocation> {
    let commands = simple_commands(command, false);
    commands.iter().filter_map(|words| call_in(words)).collect()
}

fn call_in(words: &[Word]) -> Option<Invocation> {
    let (mut call, mut positional) = (Invocation::default(), Vec::new());
    let mut rest = words[words.iter().position(is_hb_write)? + 1..].iter();
    while let Some(word) = rest.next() {
        let Some(long) = word.text.strip_prefix("--") else {
            positional.push(word.clone());
            continue;
        };
        if long.is_empty() {
            break;
        }
        let mut split = long.splitn(2, '=');
        let (name, inline) = (split.next().unwrap_or(long), split.next());
        let takes_value = VALUE_OPTIONS.split_whitespace().any(|o| o[2..] == *name);
        let value = match inline {
            _ if !takes_value => None,
            Some(v) => Some(Word {
                text: v.to_owned(),
                expands: word.expands,
            }),
            None => rest.next().cloned(),
        };
        match name {
            "schedule" => call.schedule = value,
            "needs" => call.needs.extend(value),
            "retire" => call.retire = true,
            _ => {}
        }
    }
    (call.job, call.interval) = (positional.first().cloned(), positional.get(1).cloned());
    Some(call)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(text: &str) -> Word {
        Word {
            text: text.to_owned(),
            expands: false,
        }
    }

    fn jobs(command: &str) -> Vec<(String, String)> {
        find_hb_writes(command)
            .into_iter()
            .map(|c| {
                (
                    c.job.map(|w| w.text).unwrap_or_default(),
                    c.interval.map(|w| w.text).unwrap_or_default(),
                )
            })
            .collect()
    }

    #[test]
    fn every_shape_of_call_is_found() {
        let cases = [
            ("hb-write a 1d", "a", "1d"),
            ("/usr/local/bin/hb-write a 5m", "a", "5m"),
            ("backup.sh && hb-write --dir /srv/hb a 1d", "a", "1d"),
            ("backup.sh || hb-write --status fail a 1d", "a", "1d"),
            ("backup.sh; hb-write --exit-code $? a 1d", "a", "1d"),
            ("hb-write --message=\"nightly run\" a 1d", "a", "1d"),
            (
                "nice -n 10 hb-write a 1h -- /usr/bin/rsync -a /x /y",
                "a",
                "1h",
            ),
            ("cd /srv && ./run | logger; hb-write 'a' \"2h\"", "a", "2h"),
        ];
        for (command, job, interval) in cases {
            assert_eq!(
                jobs(command),
                [(job.to_owned(), interval.to_owned())],
                "{command}"
            );
        }
    }

    #[test]
    fn wrapper_form_and_options_are_told_apart() {
        let calls = find_hb_writes("hb-write --schedule '0 3 * * *' db 1d -- pg_dump -f x");
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].schedule, Some(plain("0 3 * * *")));
        assert_eq!(calls[0].job, Some(plain("db")));
        let wrapped = find_hb_writes("hb-write db 1d -- run --needs x --retire");
        assert!(wrapped[0].needs.is_empty() && !wrapped[0].retire);
        let retire = find_hb_writes("hb-write --retire old");
        assert!(retire[0].retire);
    }

    #[test]
    fn words_that_only_mention_hb_write_are_not_calls() {
        assert!(find_hb_writes("echo 'hb-write a 1d'").is_empty());
        assert!(find_hb_writes("backup.sh # && hb-write a 1d").is_empty());
        assert!(find_hb_writes("my-hb-write a 1d").is_empty());
        assert_eq!(jobs("a && hb-write x 1d && hb-write y 2d").len(), 2);
    }

    #[test]
    fn near_misses_are_found_and_the_real_name_is_not_one() {
        for slip in [
            "hb-wrte x 1d",
            "hbwrite x 1d",
            "hb_write x 1d",
            "/usr/local/bin/hb-wirte x 1d",
            "run && HB-Write x 1d",
            "hb-writes x 1d",
        ] {
            assert_eq!(near_misses(slip).len(), 1, "{slip}");
        }
        for fine in [
            "hb-write x 1d",
            "/usr/bin/hb-write x 1d",
            "hb-check --lint",
            "rewrite x",
            "hb-wr x",
            "echo \"$HBWRITE\"",
        ] {
            assert!(near_misses(fine).is_empty(), "{fine}");
        }
    }

    #[test]
    fn double_quotes_keep_backslashes_except_before_what_they_escape() {
        let got = words(r#"a "b \"c\" \$d \x" 'e\' f\ g"#);
        assert_eq!(got.unwrap(), ["a", r#"b "c" $d \x"#, "e\\", "f g"]);
        assert_eq!(words("a; b"), None);
    }

    #[test]
    fn expanded_words_are_marked() {
        let calls = find_hb_writes("hb-write \"$JOB\" 1d");
        let job = calls[0].job.as_ref().unwrap();
        assert!(job.expands);
        let literal = find_hb_writes("hb-write '$JOB' 1d");
        assert!(!literal[0].job.as_ref().unwrap().expands);
    }
}
