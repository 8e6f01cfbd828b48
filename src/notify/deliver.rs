//! A message sent once: a POST (JSON, or ntfy's publish API,
//! <https://docs.ntfy.sh/publish/>, its token from the environment or an
//! owner-only file, never the command line), or `exec:COMMAND ARGS...` run
//! without a shell (Apprise's CLI, `mail`), whose exit 0 says delivered.

use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

use super::dest::{Dest, Kind};
use super::message::{Message, Severity};
use crate::error::Error;
use crate::http::redact::Redactor;
use crate::http::retry::Budget;
use crate::http::{self, HeaderValue, Method, NotTaken, Request};
use crate::process::{self, Failure, Limits};
use crate::tracker::token::Token;

/// `Ok` says what the destination answered to a message it took; `Err` why not.
pub(super) fn deliver(dest: &Dest, message: &Message, budget: &Budget) -> Result<String, Error> {
    let (request, redactor) = match &dest.kind {
        Kind::Exec(words) => return run(words, message, budget.left()),
        Kind::Ntfy(url) => ntfy(url, message)?,
        Kind::Webhook(url) => (json(url, message), None),
        Kind::Slack(url) => (json(url, &message.chat_body(false)), None),
        Kind::Discord(url) => (json(url, &message.chat_body(true)), None),
    };
    send(request, redactor.as_ref(), budget)
}

/// The most read of an answer: a destination says "ok" in a few bytes.
const ANSWER_MAX: u64 = 64 * 1024;
const QUOTED_MAX: usize = 200;
const ATTEMPT_MAX: Duration = Duration::from_secs(10);

/// A POST of `body` (its type and bytes), its answer read up to [`ANSWER_MAX`].
fn post(url: &str, body: (&'static str, Vec<u8>)) -> Request {
    Request {
        method: Method::POST,
        url: url.to_owned(),
        body: Some(body),
        limit: Some(ANSWER_MAX),
        error_limit: Some(ANSWER_MAX),
        ..Request::default()
    }
}

pub(super) fn json(url: &str, body: &impl serde::Serialize) -> Request {
    post(url, ("application/json", super::message::json(body)))
}

/// `: LINE`, the first line of `bytes` without URL or secret, or empty.
fn quoted(bytes: &[u8], redactor: Option<&Redactor>) -> String {
    let first = http::hide_urls(&crate::process::first_line(bytes));
    let first = redactor.map_or_else(|| first.clone(), |r| r.clean(&first));
    match crate::report::content::cut(&first, QUOTED_MAX) {
        first if first.is_empty() => first,
        first => format!(": {first}"),
    }
}

fn send(request: Request, redactor: Option<&Redactor>, budget: &Budget) -> Result<String, Error> {
    let answered = |answer: &http::Answer| {
        let status = answer.status;
        let redirect = (status.is_redirection()).then_some(" (redirects are not followed)");
        let said = redirect.unwrap_or_default().to_owned() + &quoted(&answer.body, redactor);
        format!("the server answered {status}{said}")
    };
    let total = budget.total.as_secs();
    let reason = match http::send_once(&request, budget, attempt_deadline) {
        Ok(answer) => return Ok(answered(&answer)),
        Err(NotTaken::NoTime) => format!("no time was left of the {total}s budget"),
        Err(NotTaken::Refused(answer)) => answered(&answer),
        // Only a success is read to its end: the server took the message.
        Err(NotTaken::Failed(e)) if e.kind == http::Kind::TooLong => {
            let took = "the server took it; its answer, longer than";
            return Ok(format!("{took} {} KiB, was not read", ANSWER_MAX / 1024));
        }
        // A success whose body stalled or broke off: sending again would say it twice.
        Err(NotTaken::Failed(e)) if e.answered.is_some() => {
            let how = match e.kind {
                http::Kind::Slow => "did not arrive whole",
                _ => "broke off",
            };
            let status = e.answered.unwrap_or_default();
            let took = format!("the server took it (status {status}); its answer {how}");
            return Ok(took);
        }
        Err(NotTaken::Failed(e)) => return Err(Error::rule_from(e.message.clone(), e)),
    };
    Err(Error::rule(reason))
}

/// In tenths of a second, as the messages say it.
fn attempt_deadline(left: Duration) -> Duration {
    let tenths = left.min(ATTEMPT_MAX).as_millis() / 100;
    Duration::from_millis(tenths as u64 * 100)
}

const TOKEN_ENV: &str = "HB_NTFY_TOKEN";

/// ntfy makes a longer body an attachment.
const BODY_MAX: usize = 4096;

/// The request, and what masks the token in what the server says.
fn ntfy(url: &str, message: &Message) -> Result<(Request, Option<Redactor>), Error> {
    let (priority, tags) = match message.severity {
        Severity::Critical => ("5", "rotating_light"),
        Severity::Warning => ("3", "warning"),
        Severity::Ok => ("2", "white_check_mark"),
    };
    let header = http::header::HeaderName::from_static;
    let mut headers = vec![
        (header("x-title"), header_text(&message.title)),
        (header("x-priority"), HeaderValue::from_static(priority)),
        (header("x-tags"), HeaderValue::from_static(tags)),
    ];
    let token = match std::env::var_os("HB_NTFY_TOKEN_FILE").filter(|v| !v.is_empty()) {
        Some(path) => Token::from_file(std::path::Path::new(&path), "ntfy").map(Some),
        None => Token::from_env(TOKEN_ENV, "ntfy"),
    }?;
    // A token no header may carry is sent as none: the refusal says why, unquoted.
    let bearer = (token.as_ref()).map(|t| HeaderValue::from_str(&format!("Bearer {}", t.secret())));
    if let Some(Ok(mut value)) = bearer {
        value.set_sensitive(true);
        headers.push((http::header::AUTHORIZATION, value));
    }
    let mut request = post(url, ("text/plain; charset=utf-8", body(&message.text)));
    request.headers = headers;
    Ok((request, token.map(|t| Redactor::new(t.secret()))))
}

fn body(text: &str) -> Vec<u8> {
    if text.len() <= BODY_MAX {
        return text.as_bytes().to_vec();
    }
    let mark = "\n...";
    let kept = crate::record::cut(text, BODY_MAX - mark.len());
    format!("{kept}{mark}").into_bytes()
}

/// ASCII as it is, else RFC 2047 encoded words, which ntfy decodes.
fn header_text(text: &str) -> HeaderValue {
    let value = if text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        text.to_owned()
    } else {
        use email_encoding::headers::{rfc2047, writer::EmailWriter};
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = rfc2047::encode(text, &mut EmailWriter::new(&mut out, 0, 0, false));
        // Folding is for mail: in HTTP, encoded words follow on one line.
        out.replace("\r\n", "")
    };
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("cron-heartbeat"))
}

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
fn run(words: &[String], message: &Message, budget: Duration) -> Result<String, Error> {
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
        .env_remove(TOKEN_ENV)
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
    let said = [exited.out, exited.err].map(|kept| quoted(&kept.bytes, None));
    let said = said.into_iter().find(|s| !s.is_empty()).unwrap_or_default();
    let signal = exited.status.signal().unwrap_or_default();
    let reason = match (exited.status.code(), signal) {
        (Some(0), _) => return Ok(format!("`{program}` exited 0{said}")),
        (Some(code), _) => format!("`{program}` exited {code}{said}"),
        (None, signal) => format!("`{program}` was killed by signal {signal}{said}"),
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

    #[test]
    fn titles_are_one_header_line_and_bodies_capped() {
        assert_eq!(header_text("[web1] backup stale"), "[web1] backup stale");
        let encoded = header_text(&"Sicherung fällig ".repeat(12));
        let encoded = encoded.to_str().unwrap();
        assert!(encoded.starts_with("=?utf-8?b?"), "{encoded}");
        assert!(!encoded.contains(['\r', '\n']), "{encoded}");
        assert_eq!(body("short"), b"short");
        let long = body(&"é".repeat(4000));
        assert!(long.len() <= BODY_MAX, "{}", long.len());
        assert!(String::from_utf8(long).unwrap().ends_with("\n..."));
    }
}
