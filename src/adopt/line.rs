//! Rewriting one crontab line into its wrapper form, keeping all cron
//! reads: the time and user fields as written, the `\%` escapes, and the
//! text after the first unescaped `%` (the job's input).

use crate::schedule::crontab::split_word;

/// The longest command Debian's cron reads (the text after the time
/// fields and the user field), in bytes; `crontab -n` refuses longer.
pub(crate) const COMMAND_MAX: usize = 998;

/// The line cut where cron cuts it: time and user fields with their blanks;
/// the command as written, up to the first unescaped `%`; the job's input.
pub(crate) fn split(line: &str, system: bool) -> (&str, &str, &str) {
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

/// How a raw command (cron's escapes in) can be wrapped: after hb-write's
/// `--` past its `NAME=value` words (the raw text up to the index), or,
/// `None`, only as one shell argument (shell syntax).
pub(crate) fn form(command: &str) -> Option<usize> {
    let bytes = command.as_bytes();
    let mut words: Vec<(usize, usize)> = Vec::new();
    let mut start: Option<usize> = None;
    let mut i = 0;
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
    let assignments = (words.iter())
        .take_while(|w| is_assignment(word(**w)))
        .count();
    // Only variables set, or a shell keyword or builtin first.
    let program = *words.get(assignments)?;
    (!SHELL_ONLY.contains(&word(program))).then_some(program.0)
}

pub(crate) fn is_assignment(word: &str) -> bool {
    let name = word.split_once('=').map_or("", |(name, _)| name);
    let ok =
        |(i, b): (usize, u8)| b == b'_' || b.is_ascii_alphabetic() || (i > 0 && b.is_ascii_digit());
    !name.is_empty() && name.bytes().enumerate().all(ok)
}

/// A word quoted for the shell when it needs quotes.
pub(crate) fn quote(word: &str) -> String {
    let safe = |b: u8| b.is_ascii_alphanumeric() || b"/._-+:,=@".contains(&b);
    if !word.is_empty() && word.bytes().all(safe) {
        return word.to_owned();
    }
    quote_always(word)
}

/// The line `raw` with `call` (`hb-write JOB INTERVAL --`), and whether the
/// command (`unescaped`: as cron hands it over) became one argument of
/// `shell` (`sh`, or `"$SHELL"` when the crontab sets `SHELL`).
pub(crate) fn rewrite(
    (raw, system): (&str, bool),
    unescaped: &str,
    call: &str,
    shell: &str,
) -> (String, bool) {
    let (head, raw_command, input) = split(raw, system);
    let call = call.replace('%', "\\%");
    let (command, wrapped) = if let Some(assignments) = form(raw_command) {
        let (set, run) = raw_command.split_at(assignments);
        (format!("{set}{call} {run}"), false)
    } else {
        let body = unescaped.trim_end_matches([' ', '\t']);
        let trailing = &unescaped[body.len()..];
        let argument = format!("{shell} -c {}", quote_always(body)).replace('%', "\\%");
        (format!("{call} {argument}{trailing}"), true)
    };
    (format!("{head}{command}{input}"), wrapped)
}

fn quote_always(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

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
