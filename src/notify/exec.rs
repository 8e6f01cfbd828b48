//! `exec:COMMAND ARGS...`, run without a shell: the way to any service this
//! crate does not speak (Apprise's CLI, `mail`). Exit status 0 says delivered.

use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

use super::message::Message;
use crate::error::Error;
use crate::process::{self, Failure, Limits};

/// Its first line is all the output says; a leftover may hold the pipes past the exit.
const OUTPUT_MAX: usize = 8 * 1024;
const DRAIN: Duration = Duration::from_millis(500);

/// In one pass: a value that holds `$TEXT` is not replaced again.
fn substitute(words: &[String], message: &Message) -> Vec<String> {
    let names = regex::Regex::new(r"\$(TITLE|TEXT|SEVERITY|HOST)").expect("a valid pattern");
    let value = |name: &regex::Captures| match &name[1] {
        "TITLE" => message.title.as_str(),
        "TEXT" => message.text.as_str(),
        "SEVERITY" => message.severity.as_str(),
        _ => message.host.as_str(),
    };
    let each = |word: &String| names.replace_all(word, value).into_owned();
    words.iter().map(each).collect()
}

/// `Ok` with what it printed first when it exits 0, else why not.
pub(super) fn run(words: &[String], message: &Message, budget: Duration) -> Result<String, Error> {
    let args = substitute(words, message);
    let program = crate::report::content::cut(&args[0], 100);
    let mut command = std::process::Command::new(&args[0]);
    command
        .args(&args[1..])
        .env("HB_TITLE", &message.title)
        .env("HB_TEXT", &message.text)
        .env("HB_SEVERITY", message.severity.as_str())
        .env("HB_HOST", &message.host)
        .env("HB_CHANGES", message.change_list())
        // Our secrets (tokens, webhook and ping URLs) are not the command's.
        .env_remove("HB_TRACKER_TOKEN")
        .env_remove(super::post::TOKEN_ENV)
        .env_remove("HB_NOTIFY")
        .env_remove("HB_CHECK_PING_URL")
        .env_remove("HB_PING_URL");
    let limits = Limits {
        timeout: budget,
        max_bytes: OUTPUT_MAX,
        drain: Some(DRAIN),
    };
    let exited = match process::run(&mut command, Some(super::message::json(message)), limits) {
        Ok(exited) => exited,
        Err(Failure::Spawn(e)) => {
            return Err(Error::rule_from(format!("cannot run `{program}`: {e}"), e))
        }
        Err(Failure::Timeout | Failure::Wait(_)) => {
            let secs = budget.as_secs_f64();
            let reason = format!("`{program}` did not finish within {secs:.1}s and was killed");
            return Err(Error::rule(reason));
        }
    };
    let said = [exited.out, exited.err].into_iter();
    let mut said = said.map(|kept| super::post::quoted(&kept.bytes, None));
    let said = said.find(|said| !said.is_empty()).unwrap_or_default();
    let reason = match (exited.status.code(), exited.status.signal()) {
        (Some(0), _) => return Ok(format!("`{program}` exited 0{said}")),
        (Some(code), _) => format!("`{program}` exited {code}{said}"),
        (None, signal) => {
            let signal = signal.unwrap_or_default();
            format!("`{program}` was killed by signal {signal}{said}")
        }
    };
    Err(Error::rule(reason))
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
        assert_eq!(ok.unwrap(), "`sh` exited 0: critical");
        let env =
            "tr -d '\\n' | grep -q '\"version\": 1' && echo \"$HB_HOST|$HB_CHANGES|$HB_TITLE\"";
        let ok = run(&script(env), &message, Duration::from_secs(5));
        assert_eq!(
            ok.unwrap(),
            "`sh` exited 0: web1|backup - stale",
            "the JSON on stdin, the host and the changes in the environment"
        );
        let no = run(
            &script("echo nope >&2; exit 4"),
            &message,
            Duration::from_secs(5),
        );
        assert_eq!(no.unwrap_err().to_string(), "`sh` exited 4: nope");
        let started = std::time::Instant::now();
        let hung = run(
            &script("sleep 30 & sleep 30"),
            &message,
            Duration::from_millis(500),
        );
        let hung = hung.unwrap_err().to_string();
        assert!(hung.contains("did not finish within 0.5s"), "{hung}");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        // A leftover in the background holds the pipe past the drain:
        // what came before it is still said.
        let held = run(
            &script("echo first; sleep 3 &"),
            &message,
            Duration::from_secs(5),
        );
        assert_eq!(held.unwrap(), "`sh` exited 0: first");
        let missing = run(
            &words("/nonexistent/notifier"),
            &message,
            Duration::from_secs(1),
        )
        .unwrap_err();
        assert!(
            std::error::Error::source(&missing).is_some(),
            "the OS error"
        );
        assert!(missing
            .to_string()
            .starts_with("cannot run `/nonexistent/notifier`"));
    }
}
