//! Finding `hb-write` in a cron command: the shell's words and separators,
//! just enough of them to see each simple command, and hb-write's own
//! arguments.

/// hb-write's options that take a value (`--dir DIR`); any other option is
/// a flag. A test of hb-write checks that every option of it that takes a
/// value is here (the wrapper's options among them).
pub(crate) const VALUE_OPTIONS: &[&str] = &[
    "--dir",
    "--status",
    "--exit-code",
    "--message",
    "--schedule",
    "--keep-output",
    "--log-max",
    "--max-runtime",
    "--ok-exit-codes",
    "--fail-on",
    "--ok-on",
    "--min-runtime",
    "--retry",
    "--retry-delay",
    "--stall-after",
    "--factor",
    "--singleton",
    "--ping",
    "--ping-style",
    "--pause",
    "--reason",
    "--needs",
];

/// One `hb-write` found in a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Invocation {
    /// The job name as written (`None` when absent).
    pub job: Option<Word>,
    /// The interval as written.
    pub interval: Option<Word>,
    /// The value of `--schedule`, when given.
    pub schedule: Option<Word>,
    /// Whether hb-write runs the job itself (`hb-write JOB INTERVAL -- CMD`).
    pub wrapper: bool,
    /// Whether the call retires the job (`--retire`) rather than reporting.
    pub retire: bool,
    /// The values of `--needs`, in order.
    pub needs: Vec<Word>,
}

/// A shell word after quote removal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Word {
    /// The text after quote removal.
    pub text: String,
    /// Whether the shell would expand part of it (`$VAR`, `` `cmd` ``), so
    /// its value cannot be known from the crontab.
    pub expands: bool,
}

/// A token of the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(Word),
    /// `;`, `&`, `&&`, `|`, `||`, `(`, `)` or a newline: the end of a simple
    /// command.
    Break,
}

/// Splits a command into words and separators, with the shell's quoting:
/// `'...'` is literal, `"..."` keeps its text (and may expand), `\` escapes
/// one character, and `#` at the start of a word starts a comment.
fn tokenize(command: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut expands = false;
    let mut chars = command.chars().peekable();
    let finish =
        |tokens: &mut Vec<Token>, word: &mut String, in_word: &mut bool, expands: &mut bool| {
            if *in_word {
                tokens.push(Token::Word(Word {
                    text: std::mem::take(word),
                    expands: *expands,
                }));
            }
            *in_word = false;
            *expands = false;
        };
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => finish(&mut tokens, &mut word, &mut in_word, &mut expands),
            '\n' | ';' | '&' | '|' | '(' | ')' => {
                finish(&mut tokens, &mut word, &mut in_word, &mut expands);
                tokens.push(Token::Break);
            }
            '#' if !in_word => break,
            '\'' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    word.push(q);
                }
            }
            '"' => {
                in_word = true;
                while let Some(q) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' => match chars.peek() {
                            Some(&n @ ('"' | '\\' | '$' | '`')) => {
                                word.push(n);
                                chars.next();
                            }
                            _ => word.push('\\'),
                        },
                        '$' | '`' => {
                            expands = true;
                            word.push(q);
                        }
                        _ => word.push(q),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(n) = chars.next() {
                    word.push(n);
                }
            }
            '$' | '`' | '*' | '?' | '[' | '~' => {
                in_word = true;
                expands = true;
                word.push(c);
            }
            _ => {
                in_word = true;
                word.push(c);
            }
        }
    }
    finish(&mut tokens, &mut word, &mut in_word, &mut expands);
    tokens
}

/// The words of a command run without a shell (`hb-check --notify
/// exec:...`), split and unquoted as the shell would; `None` when it holds
/// an operator (`;`, `&`, `|`, `(`, `)`, a newline) that only a shell
/// could carry out. `$VAR` and globs are kept as written.
pub(crate) fn words(command: &str) -> Option<Vec<String>> {
    tokenize(command)
        .into_iter()
        .map(|t| match t {
            Token::Word(w) => Some(w.text),
            Token::Break => None,
        })
        .collect()
}

/// Whether a word names hb-write: `hb-write`, or a path ending in it.
fn is_hb_write(word: &Word) -> bool {
    !word.expands && word.text.rsplit('/').next() == Some("hb-write")
}

/// The words of `command` that look like a misspelt `hb-write` (`hb-wrte`,
/// `hbwrite`, `hb_write`, by path too): run in its place, such a word
/// writes no heartbeat, and the job goes unmonitored without a sound.
pub(crate) fn near_misses(command: &str) -> Vec<String> {
    tokenize(command)
        .into_iter()
        .filter_map(|t| match t {
            Token::Word(w) if !w.expands && !is_hb_write(&w) => Some(w.text),
            _ => None,
        })
        .filter(|w| looks_like_hb_write(w.rsplit('/').next().unwrap_or_default()))
        .collect()
}

/// Whether `name` is one slip away from `hb-write`: another separator or
/// none, other letter case, or one letter missing, added, changed or two
/// swapped.
fn looks_like_hb_write(name: &str) -> bool {
    const NAME: &[u8] = b"hb-write";
    let lower = name.to_ascii_lowercase();
    let bare: String = lower
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | '.'))
        .collect();
    bare == "hbwrite" || edits(lower.as_bytes(), NAME) <= 1
}

/// The edits (insert, delete, change, swap of neighbours) that turn `a`
/// into `b`, counted up to 2; the names compared are short.
fn edits(a: &[u8], b: &[u8]) -> usize {
    if a.len().abs_diff(b.len()) > 1 {
        return 2;
    }
    // Optimal string alignment over a full table: at most 11 x 9 cells.
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()].min(2)
}

/// Every `hb-write` invocation in `command`: one per simple command that
/// runs it (bare or by path, after `&&`, `||`, `;`, behind `env`, `nice`
/// and the like), with its job, interval and options.
pub(crate) fn find_hb_writes(command: &str) -> Vec<Invocation> {
    let tokens = tokenize(command);
    let mut found = Vec::new();
    let mut start = 0;
    while start < tokens.len() {
        let end = tokens[start..]
            .iter()
            .position(|t| *t == Token::Break)
            .map_or(tokens.len(), |p| start + p);
        let words: Vec<&Word> = tokens[start..end]
            .iter()
            .filter_map(|t| match t {
                Token::Word(w) => Some(w),
                Token::Break => None,
            })
            .collect();
        if let Some(at) = words.iter().position(|w| is_hb_write(w)) {
            found.push(arguments(&words[at + 1..]));
        }
        start = end + 1;
    }
    found
}

/// The words of each simple command in `command`, quotes removed.
pub(crate) fn simple_commands(command: &str) -> Vec<Vec<Word>> {
    let mut found = vec![Vec::new()];
    for token in tokenize(command) {
        match token {
            Token::Word(w) => found.last_mut().into_iter().for_each(|c| c.push(w.clone())),
            Token::Break => found.push(Vec::new()),
        }
    }
    found.retain(|c| !c.is_empty());
    found
}

/// Reads hb-write's arguments as its parser does.
fn arguments(words: &[&Word]) -> Invocation {
    let mut call = Invocation {
        job: None,
        interval: None,
        schedule: None,
        wrapper: false,
        retire: false,
        needs: Vec::new(),
    };
    let mut positional = Vec::new();
    let mut rest = words.iter();
    while let Some(word) = rest.next() {
        let text = word.text.as_str();
        if text == "--" {
            call.wrapper = true;
            break;
        }
        if let Some(long) = text.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (long, None),
            };
            let flag = format!("--{name}");
            let value = if VALUE_OPTIONS.contains(&flag.as_str()) {
                match inline {
                    Some(v) => Some(Word {
                        text: v.to_owned(),
                        expands: word.expands,
                    }),
                    None => rest.next().map(|w| (*w).clone()),
                }
            } else {
                None
            };
            match name {
                "schedule" => call.schedule = value,
                "needs" => call.needs.extend(value),
                "retire" => call.retire = true,
                _ => {}
            }
            continue;
        }
        positional.push((*word).clone());
    }
    let mut positional = positional.into_iter();
    call.job = positional.next();
    call.interval = positional.next();
    call
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
        assert!(calls[0].wrapper);
        assert_eq!(calls[0].schedule, Some(plain("0 3 * * *")));
        assert_eq!(calls[0].job, Some(plain("db")));
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
    fn expanded_words_are_marked() {
        let calls = find_hb_writes("hb-write \"$JOB\" 1d");
        let job = calls[0].job.as_ref().unwrap();
        assert!(job.expands);
        let literal = find_hb_writes("hb-write '$JOB' 1d");
        assert!(!literal[0].job.as_ref().unwrap().expands);
    }
}
