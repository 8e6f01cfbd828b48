//! A job name for a cron command: the program or script it runs, past the
//! plumbing around it (`cd DIR &&`, `nice`, `flock FILE`, `timeout 1h`,
//! interpreters), made to fit the job-name rule.

use super::plan::is_assignment;
use crate::record::validate_job;

/// The longest name derived; a longer stem is cut.
const STEM_MAX: usize = 48;

/// Commands that only prepare the run: the name comes from the next one.
const PLUMBING: &[&str] = &[
    "cd", "test", "[", "true", ":", "sleep", "echo", "export", "set", "umask", "ulimit", "mkdir",
    "source", ".",
];

/// Commands that run the command after their options.
const WRAPPERS: &[&str] = &[
    "nice", "ionice", "nohup", "env", "chronic", "cronic", "run-one", "exec", "command", "time",
    "stdbuf", "sudo", "setlock", "chrt", "taskset", "timeout", "flock", "setsid",
];

/// Options of the wrappers that take a value.
const VALUE_OPTIONS: &str = "-n -c -u -g -s -k -w -E -i -o -e -p \
    --signal --kill-after --timeout --user --group --adjustment --class --classdata";

/// Wrappers with one positional argument before the command.
const ONE_ARGUMENT: &[&str] = &["timeout", "flock", "setlock", "chrt", "taskset"];

/// Interpreters: the name is the script's.
const INTERPRETERS: &[&str] = &[
    "sh", "bash", "dash", "zsh", "python", "python2", "python3", "perl", "ruby", "php", "node",
    "nodejs",
];

/// Extensions dropped from a script's name.
const EXTENSIONS: &[&str] = &[".sh", ".bash", ".py", ".pl", ".rb", ".php", ".js"];

/// The name for a command (as cron hands it to the shell), if anything in
/// it can give one; `depth` counts the `-c` commands it is inside.
pub(crate) fn derive(command: &str, depth: usize) -> Option<String> {
    (simple_commands(command).iter()).find_map(|words| from_words(words, depth))
}

/// `None` when the command is plumbing.
fn from_words(words: &[String], depth: usize) -> Option<String> {
    let mut at = words.iter().take_while(|w| is_assignment(w)).count();
    loop {
        let program = words.get(at)?.as_str();
        let base = program.rsplit('/').next().unwrap_or(program);
        if PLUMBING.contains(&base) {
            return None;
        }
        if WRAPPERS.contains(&base) {
            let rest = &words[at + 1..];
            let c = (rest.iter()).position(|w| matches!(w.as_str(), "-c" | "--command"));
            if let Some(c) = c.filter(|_| base == "flock" && depth < 3) {
                return rest.get(c + 1).and_then(|c| derive(c, depth + 1));
            }
            at += 1;
            while let Some(word) = words.get(at).filter(|w| w.starts_with('-') && w.len() > 1) {
                at += 1;
                if *word == "--" {
                    break;
                }
                let flock =
                    ["-w", "--timeout", "-E", "--conflict-exit-code"].contains(&word.as_str());
                let other = VALUE_OPTIONS.split_whitespace().any(|o| o == *word);
                at += usize::from(if base == "flock" { flock } else { other });
            }
            at += usize::from(ONE_ARGUMENT.contains(&base));
            while base == "env" && words.get(at).is_some_and(|w| is_assignment(w)) {
                at += 1;
            }
            continue;
        }
        if INTERPRETERS.contains(&base) {
            let mut next = at + 1;
            while let Some(word) = words.get(next).filter(|w| w.starts_with('-')) {
                if *word == "-c" && depth < 3 {
                    return words.get(next + 1).and_then(|c| derive(c, depth + 1));
                }
                next += 1;
            }
            return words.get(next).map(|script| stem(script));
        }
        if base == "run-parts" {
            let dir = words[at + 1..].iter().rev().find(|w| !w.starts_with('-'));
            return Some(stem(dir.map_or(base, String::as_str)));
        }
        return Some(stem(program));
    }
}

/// A program or script path made into a name: its last component without
/// a script extension, every character the rule refuses turned into `-`.
fn stem(path: &str) -> String {
    let base = path.trim_end_matches('/');
    let base = base.rsplit('/').next().unwrap_or(base);
    let base = (EXTENSIONS.iter())
        .find_map(|ext| base.strip_suffix(ext).filter(|s| !s.is_empty()))
        .unwrap_or(base);
    // Each run of refused characters (and of `-`) is one `-`.
    let dash = |c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_'));
    let out = base.split(dash).filter(|p| !p.is_empty());
    let out = out.collect::<Vec<_>>().join("-");
    let trimmed = out.trim_start_matches(|c: char| !c.is_ascii_alphanumeric());
    let name: String = trimmed.chars().take(STEM_MAX).collect();
    let name = name.trim_end_matches(['-', '.']);
    validate_job(name).map_or_else(|_| "job".to_owned(), |()| name.to_owned())
}

/// The simple commands of a command line (some empty), each as its words
/// after quote removal: enough of the shell to find the program each runs.
fn simple_commands(command: &str) -> Vec<Vec<String>> {
    let (mut all, mut words) = (Vec::new(), Vec::new());
    let mut word: Option<String> = None;
    let mut chars = command.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => words.extend(word.take()),
            ';' | '&' | '|' | '(' | ')' | '{' | '}' | '\n' if word.is_none() || c != '{' => {
                words.extend(word.take());
                all.push(std::mem::take(&mut words));
            }
            '<' | '>' => {
                // A redirection: neither its number (`2>`) nor its target
                // is an argument.
                word = word.filter(|w| !w.bytes().all(|b| b.is_ascii_digit()));
                words.extend(word.take());
                let operator = |n: &char| matches!(n, '>' | '&' | ' ' | '\t');
                while chars.next_if(operator).is_some() {}
                let target = |n: &char| !matches!(n, ' ' | '\t' | ';' | '&' | '|');
                while chars.next_if(target).is_some() {}
            }
            '\'' | '"' => {
                let quoted = chars.by_ref().take_while(|&q| q != c);
                word.get_or_insert_default().extend(quoted);
            }
            '\\' => word.get_or_insert_default().extend(chars.next()),
            _ => word.get_or_insert_default().push(c),
        }
    }
    words.extend(word);
    all.push(words);
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_fit_the_rule() {
        let cases = [
            ("/usr/local/bin/backup.sh", "backup"),
            ("/etc/cron.daily", "cron.daily"),
            ("./My Script!.py", "My-Script"),
            ("...", "job"),
        ];
        for (path, name) in cases {
            assert_eq!(stem(path), name, "{path}");
        }
        assert!(stem(&"x".repeat(300)).len() <= STEM_MAX);
    }
}
