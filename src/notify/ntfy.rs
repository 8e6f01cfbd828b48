//! `ntfy://HOST/TOPIC` and `ntfys://HOST/TOPIC`: ntfy's publish API, a POST
//! of the text to the topic with the title, priority and tags in headers
//! (<https://docs.ntfy.sh/publish/>). The token comes from `HB_NTFY_TOKEN`
//! or a file only its owner may read (`HB_NTFY_TOKEN_FILE`), never from
//! the command line.

use std::path::Path;

use super::message::{Message, Severity};
use crate::error::Error;
use crate::http::header::{HeaderName, AUTHORIZATION};
use crate::http::redact::Redactor;
use crate::http::{HeaderValue, Request};
use crate::tracker::token::Token;

pub(crate) const TOKEN_ENV: &str = "HB_NTFY_TOKEN";

const TOKEN_FILE_ENV: &str = "HB_NTFY_TOKEN_FILE";

/// ntfy keeps a message body up to 4,096 bytes as text; a longer one
/// becomes an attachment.
const BODY_MAX: usize = 4096;

/// The token, from the file `HB_NTFY_TOKEN_FILE` names, else from
/// `HB_NTFY_TOKEN`.
fn token() -> Result<Option<Token>, Error> {
    match std::env::var_os(TOKEN_FILE_ENV).filter(|v| !v.is_empty()) {
        Some(path) => Token::from_file(Path::new(&path), "ntfy").map(Some),
        None => Token::from_env(TOKEN_ENV, "ntfy"),
    }
}

/// The request of `message` to the topic `url`, and what masks the token
/// in what the server says.
pub(super) fn request(url: &str, message: &Message) -> Result<(Request, Option<Redactor>), Error> {
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
    let token = token()?;
    // A token with a character no header may carry is sent as none: the
    // server's refusal then says what is wrong without quoting it.
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

/// A header value for `text` (a title, one line without control
/// characters): as it is when it is ASCII, else RFC 2047 encoded words,
/// which ntfy decodes.
fn header_text(text: &str) -> HeaderValue {
    let ascii = text.bytes().all(|b| (0x20..0x7f).contains(&b));
    let value = if ascii {
        text.to_owned()
    } else {
        use email_encoding::headers::{rfc2047, writer::EmailWriter};
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = rfc2047::encode(text, &mut EmailWriter::new(&mut out, 0, 0, false));
        // Folding is for mail; in HTTP, encoded words follow each other on
        // one line, separated by a space.
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
