//! HTTP destinations, one POST sent once: JSON, or ntfy's publish API
//! (<https://docs.ntfy.sh/publish/>) with a token from the environment or an
//! owner-only file, never from the command line.

use std::time::Duration;

use super::message::{Message, Severity};
use crate::error::Error;
use crate::http::header::{HeaderName, AUTHORIZATION};
use crate::http::redact::Redactor;
use crate::http::{self, HeaderValue, Kind, Method, NotTaken, Request};
use crate::tracker::token::Token;

/// The most read of an answer: a destination says "ok" in a few bytes.
const ANSWER_MAX: u64 = 64 * 1024;
const QUOTED_MAX: usize = 200;
const ATTEMPT_MAX: Duration = Duration::from_secs(10);

pub(super) fn json(url: &str, body: &impl serde::Serialize) -> Request {
    let body = ("application/json", super::message::json(body));
    Request {
        url: url.to_owned(),
        body: Some(body),
        ..Request::default()
    }
}

/// `: LINE`, the first line of `bytes` without URL or secret, or empty.
pub(super) fn quoted(bytes: &[u8], redactor: Option<&Redactor>) -> String {
    let first = http::hide_urls(&crate::process::first_line(bytes));
    let first = redactor.map_or_else(|| first.clone(), |r| r.clean(&first));
    match crate::report::content::cut(&first, QUOTED_MAX) {
        first if first.is_empty() => first,
        first => format!(": {first}"),
    }
}

/// `Ok` says what the server answered to a message it took; `Err` why not.
pub(super) fn send(
    request: Request,
    redactor: Option<&Redactor>,
    budget: &crate::http::retry::Budget,
) -> Result<String, Error> {
    let request = Request {
        method: Method::POST,
        limit: Some(ANSWER_MAX),
        error_limit: Some(ANSWER_MAX),
        ..request
    };
    let quote = |bytes: &[u8]| quoted(bytes, redactor);
    let reason = match http::send_once(&request, budget, attempt_deadline) {
        Ok(answer) => {
            let answered = format!("the server answered {}", answer.status);
            return Ok(answered + &quote(&answer.body));
        }
        Err(NotTaken::NoTime) => {
            let total = budget.total.as_secs();
            format!("no time was left of the {total}s budget")
        }
        Err(NotTaken::Refused(answer)) => {
            let status = answer.status;
            let redirect = (status.is_redirection()).then_some(" (redirects are not followed)");
            let said = redirect.unwrap_or_default().to_owned() + &quote(&answer.body);
            format!("the server answered {status}{said}")
        }
        // Only a success is read to its end: the server took the message.
        Err(NotTaken::Failed(e)) if e.kind == Kind::TooLong => {
            let took = "the server took it; its answer, longer than";
            return Ok(format!("{took} {} KiB, was not read", ANSWER_MAX / 1024));
        }
        // A success whose body stalled or broke off: sending again would say it twice.
        Err(NotTaken::Failed(e)) if e.answered.is_some() => {
            let how = if e.kind == Kind::Slow {
                "did not arrive whole"
            } else {
                "broke off"
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

pub(crate) const TOKEN_ENV: &str = "HB_NTFY_TOKEN";

const TOKEN_FILE_ENV: &str = "HB_NTFY_TOKEN_FILE";

/// ntfy makes a longer body an attachment.
const BODY_MAX: usize = 4096;

/// The request, and what masks the token in what the server says.
pub(super) fn ntfy(url: &str, message: &Message) -> Result<(Request, Option<Redactor>), Error> {
    let (priority, tags) = match message.severity {
        Severity::Critical => ("5", "rotating_light"),
        Severity::Warning => ("3", "warning"),
        Severity::Ok => ("2", "white_check_mark"),
    };
    let header = HeaderName::from_static;
    let mut headers = vec![
        (header("x-title"), header_text(&message.title)),
        (header("x-priority"), HeaderValue::from_static(priority)),
        (header("x-tags"), HeaderValue::from_static(tags)),
    ];
    let token = match std::env::var_os(TOKEN_FILE_ENV).filter(|v| !v.is_empty()) {
        Some(path) => Token::from_file(std::path::Path::new(&path), "ntfy").map(Some),
        None => Token::from_env(TOKEN_ENV, "ntfy"),
    }?;
    // A token no header may carry is sent as none: the refusal says why, unquoted.
    let bearer = (token.as_ref()).map(|t| HeaderValue::from_str(&format!("Bearer {}", t.secret())));
    if let Some(Ok(mut value)) = bearer {
        value.set_sensitive(true);
        headers.push((AUTHORIZATION, value));
    }
    let request = Request {
        url: url.to_owned(),
        headers,
        body: Some(("text/plain; charset=utf-8", body(&message.text))),
        ..Request::default()
    };
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
    let ascii = text.bytes().all(|b| (0x20..0x7f).contains(&b));
    let value = if ascii {
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

#[cfg(test)]
mod tests {
    use super::*;

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
