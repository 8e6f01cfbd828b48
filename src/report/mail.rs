//! The report as one MIME message for `sendmail -t` (multipart/alternative,
//! text and HTML), built by lettre, which encodes headers and bodies.

use std::io::{self, Write};

use crate::Error;
use email_encoding::headers::{quoted_string, writer::EmailWriter};
use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};

/// One recipient as cron's `MAILTO` takes it: a mailbox, or a local user
/// (`root`), which sendmail delivers as it delivers cron's own mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Recipient {
    Mailbox(Mailbox),
    Local(String),
}

/// A `To:` of local names too, which lettre's own `To` cannot hold.
#[derive(Debug, Clone)]
struct To(Vec<Recipient>);

impl Header for To {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("To")
    }

    fn parse(text: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let all: Result<_, Error> = text.split(',').map(parse_recipient).collect();
        Ok(To(all?))
    }

    fn display(&self) -> HeaderValue {
        use std::fmt::Write as _;
        let (mut raw, mut encoded) = (Vec::new(), String::new());
        let mut w = EmailWriter::new(&mut encoded, "To: ".len(), 0, false);
        for (i, recipient) in self.0.iter().enumerate() {
            if i > 0 {
                let _ = w.write_char(',');
                w.space();
            }
            // Writing to a String cannot fail. A display name is quoted or
            // encoded (RFC 2047) as it needs.
            let _ = match recipient {
                Recipient::Local(name) => w.write_str(name),
                Recipient::Mailbox(m) => match &m.name {
                    Some(name) => quoted_string::encode(name, &mut w).and_then(|()| {
                        w.space();
                        write!(w, "<{}>", m.email)
                    }),
                    None => w.write_str(m.email.as_ref()),
                },
            };
            raw.push(match recipient {
                Recipient::Mailbox(m) => m.to_string(),
                Recipient::Local(name) => name.clone(),
            });
        }
        drop(w);
        HeaderValue::dangerous_new_pre_encoded(Self::name(), raw.join(", "), encoded)
    }
}

/// `text` with CRLF line ends. lettre converts too, but by inserting each
/// `\r` in place, moving the rest once per line: 100,000 jobs took 558 s.
fn crlf(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\n', "\r\n")
}

/// One message about `host` from `from` (`night-watch@HOST` by default).
pub(crate) fn write_mail(
    out: &mut impl Write,
    from: Option<&Mailbox>,
    to: &[Recipient],
    host: &str,
    subject: &str,
    text: &[u8],
    html: &[u8],
) -> io::Result<()> {
    let named = parse_mailbox(&format!("night-watch@{host}")).ok();
    let fallback = || parse_mailbox("night-watch@localhost").expect("an address");
    let from = from.cloned().or(named).unwrap_or_else(fallback);
    let nanos = chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0);
    let id = format!("<night-watch.{nanos}.{}@{host}>", std::process::id());
    // sendmail -t routes by the headers; lettre still wants an envelope of
    // addresses, which a local name is not, so it gets the sender's.
    let route = lettre::address::Envelope::new(Some(from.email.clone()), vec![from.email.clone()])
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let body = |bytes| crlf(&String::from_utf8_lossy(bytes));
    let message = lettre::Message::builder()
        .from(from)
        .header(To(to.to_vec()))
        .envelope(route)
        .subject(subject)
        .message_id(Some(id))
        .user_agent(format!("night-watch {}", env!("CARGO_PKG_VERSION")))
        .multipart(MultiPart::alternative_plain_html(body(text), body(html)))
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    out.write_all(&message.formatted())
}

const ADDRESS: &str = "a mail address such as ops@example.com or \"Ops <ops@example.com>\"";

fn mailbox(text: &str, rule: &str) -> Result<Mailbox, Error> {
    (text.trim().parse()).map_err(|e| Error::rule_from(format!("`{text}` {rule}"), e))
}

pub(crate) fn parse_mailbox(text: &str) -> Result<Mailbox, Error> {
    mailbox(text, &format!("is not {ADDRESS}"))
}

pub(crate) fn parse_recipient(text: &str) -> Result<Recipient, Error> {
    let text = text.trim();
    // A local user name as `useradd` allows it: letters, digits, `.`, `_`
    // and `-`, not first `-` or `.`, at most 32 characters.
    if text.len() <= 32 && crate::record::is_plain(text) && !text.starts_with(['-', '.']) {
        return Ok(Recipient::Local(text.to_owned()));
    }
    let rule = format!("is neither {ADDRESS} nor a local user name such as root");
    mailbox(text, &rule).map(Recipient::Mailbox)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(subject: &str, text: &str, html: &str) -> String {
        let from = parse_mailbox("night-watch@web1").unwrap();
        let to = [parse_recipient("Ops <ops@example.com>").unwrap()];
        let mut out = Vec::new();
        let (text, html) = (text.as_bytes(), html.as_bytes());
        write_mail(&mut out, Some(&from), &to, "web1", subject, text, html).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_message_has_both_alternatives_and_the_headers() {
        let m = message("night-watch web1: 1 stale", "plain\n", "<p>html</p>\n");
        for header in [
            "From: night-watch@web1\r\n",
            "To: Ops <ops@example.com>\r\n",
            "Subject: night-watch web1: 1 stale\r\n",
            "MIME-Version: 1.0\r\n",
            "Content-Type: multipart/alternative;",
        ] {
            assert!(m.contains(header), "{header:?} in\n{m}");
        }
        assert!(m.contains("Message-ID: <night-watch."), "{m}");
        assert!(m.contains("@web1>\r\n"), "{m}");
        assert!(m.contains("Content-Type: text/plain; charset=utf-8"), "{m}");
        assert!(m.contains("Content-Type: text/html; charset=utf-8"), "{m}");
    }

    #[test]
    fn a_subject_that_is_not_ascii_is_encoded() {
        let m = message("night-watch café: 1 stale", "x\n", "<p>x</p>\n");
        let subject = m.lines().find(|l| l.starts_with("Subject:")).unwrap();
        assert!(subject.contains("=?utf-8?b?"), "{m}");
        assert!(!m.contains("café"), "{m}");
    }

    #[test]
    fn bad_addresses_are_refused_with_the_rule() {
        assert!(parse_mailbox("ops@example.com").is_ok());
        let err = parse_mailbox("ops at example").unwrap_err().to_string();
        assert!(
            err.contains("`ops at example` is not a mail address"),
            "{err}"
        );
        // A header cannot be smuggled in through an address.
        assert!(parse_mailbox("a@b.c\r\nBcc: x@y.z").is_err());
        assert!(parse_recipient("a@b.c\r\nBcc: x@y.z").is_err());
        assert!(parse_recipient("root\r\nBcc: x@y.z").is_err());
    }

    #[test]
    fn recipients_are_what_cron_mails_to() {
        for (text, want) in [
            ("root", Recipient::Local("root".to_owned())),
            (" ops ", Recipient::Local("ops".to_owned())),
            (
                "backup_admin.2",
                Recipient::Local("backup_admin.2".to_owned()),
            ),
        ] {
            assert_eq!(parse_recipient(text).unwrap(), want, "{text}");
        }
        let mailbox = parse_recipient("Ops <ops@example.com>").unwrap();
        assert!(
            matches!(mailbox, Recipient::Mailbox(m) if m.email.to_string() == "ops@example.com")
        );
        for bad in [
            "-r",
            ".hidden",
            "ops at example",
            "a/b",
            "",
            &"x".repeat(33),
        ] {
            let err = parse_recipient(bad).unwrap_err().to_string();
            assert!(
                err.ends_with("nor a local user name such as root"),
                "{bad:?}: {err}"
            );
        }
        // The rule is ours: no library's words end the message.
        let err = parse_mailbox("ops at example").unwrap_err().to_string();
        assert!(!err.to_lowercase().contains("invalid input"), "{err}");
    }

    #[test]
    fn local_names_and_addresses_share_the_to_header() {
        let from = parse_mailbox("night-watch@web1").unwrap();
        let to = ["root", "Café Ops <ops@example.com>", "ops@example.com"]
            .map(|t| parse_recipient(t).unwrap());
        let mut out = Vec::new();
        write_mail(
            &mut out,
            Some(&from),
            &to,
            "web1",
            "s",
            b"x\n",
            b"<p>x</p>\n",
        )
        .unwrap();
        let m = String::from_utf8(out).unwrap();
        let header = m
            .split("\r\nTo: ")
            .nth(1)
            .unwrap()
            .split("\r\nSubject")
            .next()
            .unwrap();
        assert!(header.starts_with("root, =?utf-8?b?"), "{m}");
        assert!(
            header.ends_with(" <ops@example.com>, ops@example.com"),
            "{m}"
        );
    }

    #[test]
    fn bodies_reach_lettre_with_crlf_already() {
        assert_eq!(crlf("a\nb\r\n\nc"), "a\r\nb\r\n\r\nc");
        assert_eq!(crlf(""), "");
        // The message is the one lettre made of bare line feeds.
        let mut long = String::new();
        for i in 0..500 {
            long += &format!("line {i}\n");
        }
        let m = message("s", &long, "<p>x</p>\n");
        let plain = m.split("\r\n\r\n").nth(2).unwrap();
        assert!(plain.starts_with("line 0\r\nline 1\r\n"), "{m}");
        assert!(!m.replace("\r\n", "").contains('\n'), "{m}");
    }
}
