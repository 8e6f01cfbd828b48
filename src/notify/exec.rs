//! `exec:COMMAND ARGS...`: runs a command, with no shell, as the way to any
//! service this crate does not speak (Apprise's CLI, a pager's CLI,
//! `mail`). The message's JSON is its standard input; `HB_TITLE`,
//! `HB_TEXT`, `HB_SEVERITY`, `HB_HOST` and `HB_CHANGES` are in its
//! environment, and `$TITLE`, `$TEXT`, `$SEVERITY` and `$HOST` in its
//! arguments are replaced by the same values (each stays one argument).
//! It runs in its own process group, killed whole when the budget runs
//! out; exit status 0 says delivered.

use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use super::message::Message;
use crate::report::content::cut;

/// The most kept of the command's output, for the one line that says what
/// it answered.
const OUTPUT_MAX: usize = 8 * 1024;

/// How often the command is looked at while it runs.
const POLL: Duration = Duration::from_millis(20);

/// How long output is still read once the command exited, when something
/// it left in the background holds the pipes.
const DRAIN: Duration = Duration::from_millis(500);

/// The arguments with `$TITLE`, `$TEXT`, `$SEVERITY` and `$HOST` replaced.
fn substitute(words: &[String], message: &Message) -> Vec<String> {
    let values = [
        ("$TITLE", message.title.as_str()),
        ("$TEXT", message.text.as_str()),
        ("$SEVERITY", message.severity.as_str()),
        ("$HOST", message.host.as_str()),
    ];
    words
        .iter()
        .map(|word| {
            // One pass, so a value that holds `$TEXT` is not replaced again.
            let mut out = String::with_capacity(word.len());
            let mut rest = word.as_str();
            'scan: while let Some(at) = rest.find('$') {
                out.push_str(&rest[..at]);
                rest = &rest[at..];
                for (name, value) in values {
                    if let Some(after) = rest.strip_prefix(name) {
                        out.push_str(value);
                        rest = after;
                        continue 'scan;
                    }
                }
                out.push('$');
                rest = &rest[1..];
            }
            out.push_str(rest);
            out
        })
        .collect()
}

/// Runs `words` for `message` within `budget`: `Ok` with what it printed
/// first when it exits 0, else `Err` with why.
pub(super) fn run(words: &[String], message: &Message, budget: Duration) -> Result<String, String> {
    let started = Instant::now();
    let args = substitute(words, message);
    let program = cut(&args[0], 100);
    let mut child = Command::new(&args[0])
        .args(&args[1..])
        .env("HB_TITLE", &message.title)
        .env("HB_TEXT", &message.text)
        .env("HB_SEVERITY", message.severity.as_str())
        .env("HB_HOST", &message.host)
        .env("HB_CHANGES", message.change_list())
        // Our secrets are not the command's: tokens, and the URLs that are
        // secrets in themselves (webhooks, ping URLs).
        .env_remove("HB_TRACKER_TOKEN")
        .env_remove(super::ntfy::TOKEN_ENV)
        .env_remove("HB_NOTIFY")
        .env_remove("HB_CHECK_PING_URL")
        .env_remove("HB_PING_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot run `{program}`: {e}"))?;
    let json = message.to_json();
    if let Some(mut stdin) = child.stdin.take() {
        // From a thread: a command that reads nothing must not block us; a
        // command that exits early closes the pipe, which is no error.
        thread::spawn(move || {
            let _ = stdin.write_all(&json);
        });
    }
    let (tx, rx) = mpsc::channel();
    for pipe in [
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .flatten()
    {
        let tx = tx.clone();
        thread::spawn(move || {
            let _ = tx.send(keep_head(pipe));
        });
    }
    drop(tx);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() < budget => thread::sleep(POLL),
            Ok(None) | Err(_) => break None,
        }
    };
    let Some(status) = status else {
        let _ = crate::supervise::signal::kill_group(child.id(), libc::SIGKILL);
        let _ = child.wait();
        return Err(format!(
            "`{program}` did not finish within {:.1}s and was killed",
            budget.as_secs_f64()
        ));
    };
    // The first line either pipe carried, for the one line we print.
    let deadline = Instant::now() + DRAIN;
    let mut said = String::new();
    while let Ok(head) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        if said.is_empty() {
            said = head;
        }
    }
    let said = if said.is_empty() {
        String::new()
    } else {
        format!(": {}", cut(&said, 200))
    };
    match (status.code(), status.signal()) {
        (Some(0), _) => Ok(format!("`{program}` exited 0{said}")),
        (Some(code), _) => Err(format!("`{program}` exited {code}{said}")),
        (None, signal) => Err(format!(
            "`{program}` was killed by signal {}{said}",
            signal.unwrap_or_default()
        )),
    }
}

/// Reads a pipe to its end, keeping its first non-empty line (of the first
/// [`OUTPUT_MAX`] bytes).
fn keep_head(mut pipe: Box<dyn Read + Send>) -> String {
    let mut kept = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match pipe.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) if kept.len() < OUTPUT_MAX => kept.extend_from_slice(&buf[..n]),
            Ok(_) => {}
        }
    }
    let text = String::from_utf8_lossy(&kept);
    let first = text.lines().map(str::trim).find(|l| !l.is_empty());
    crate::http::hide_urls(first.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::message::tests::sample;

    fn words(text: &str) -> Vec<String> {
        text.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn values_replace_their_names_once_and_stay_one_argument() {
        let message = sample("a $TEXT b");
        let args = substitute(&words("x -t $TITLE -b $TEXT $HOSTx $$ $OTHER"), &message);
        assert_eq!(args[2], message.title);
        assert_eq!(args[4], message.text);
        assert_eq!(args[5], format!("{}x", message.host));
        assert_eq!(args[6..], ["$$", "$OTHER"]);
    }

    #[test]
    fn the_exit_status_says_delivered_and_a_hang_is_killed_in_time() {
        let message = sample("m");
        let script = |s: &str| vec!["sh".to_owned(), "-c".to_owned(), s.to_owned()];
        let ok = run(
            &script("head -c 1 >/dev/null; echo \"$HB_SEVERITY\""),
            &message,
            Duration::from_secs(5),
        );
        assert_eq!(ok, Ok("`sh` exited 0: critical".to_owned()));
        let env =
            "tr -d '\\n' | grep -q '\"version\": 1' && echo \"$HB_HOST|$HB_CHANGES|$HB_TITLE\"";
        let ok = run(&script(env), &message, Duration::from_secs(5));
        assert_eq!(
            ok,
            Ok("`sh` exited 0: web1|backup - stale".to_owned()),
            "the JSON on stdin, the host and the changes in the environment"
        );
        let no = run(
            &script("echo nope >&2; exit 4"),
            &message,
            Duration::from_secs(5),
        );
        assert_eq!(no, Err("`sh` exited 4: nope".to_owned()));
        let started = Instant::now();
        let hung = run(
            &script("sleep 30 & sleep 30"),
            &message,
            Duration::from_millis(500),
        );
        assert!(hung.unwrap_err().contains("did not finish within 0.5s"));
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        let missing = run(
            &words("/nonexistent/notifier"),
            &message,
            Duration::from_secs(1),
        );
        assert!(missing
            .unwrap_err()
            .starts_with("cannot run `/nonexistent/notifier`"));
    }
}
