//! Push pings to a dead man's switch (Healthchecks, Uptime Kuma), best effort,
//! after the heartbeat file is written: local truth never depends on the
//! network. A ping URL carries the check's secret: messages name its host.

use std::io::Write as _;
use std::time::Duration;

use url::Url;

use crate::http::{self, redact::SecretParser, Method, NotTaken, Request};
use crate::Error;

/// The most time one ping may take, retries included.
pub(crate) const BUDGET: Duration = Duration::from_secs(10);

/// The start ping's: a run's end waits for its start (to keep their order).
pub(crate) const START_BUDGET: Duration = Duration::from_millis(1500);

pub(crate) fn parse_url(text: &str) -> Result<Url, Error> {
    let refuse = |why: &str| format!("invalid ping URL {}: {why}", http::shown(text));
    let url = Url::parse(text).map_err(|e| Error::rule_from(refuse(&e.to_string()), e))?;
    let why = if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        // Said without `://`: a usage error hides every URL it holds.
        "it must be an HTTP or HTTPS URL with a host"
    } else if !url.username().is_empty() || url.password().is_some() {
        "it must not carry a user name or password"
    } else {
        return Ok(url);
    };
    Err(Error::rule(refuse(why)))
}

pub(crate) const URL_PARSER: SecretParser<Url, Error> = SecretParser {
    what: "ping URL",
    parse: parse_url,
};

/// Cheap to clone, so a ping can go from another thread.
#[derive(Debug, Clone)]
pub(crate) struct Pinger {
    url: Url,
    style: Style,
}

impl Pinger {
    pub(crate) fn new(url: Url, style: Style) -> Pinger {
        Pinger { url, style }
    }

    /// Sends `ping` once ([`http::send_once`]): a second would count twice.
    pub(crate) fn send(&self, ping: &Ping, budget: Duration) -> Result<(), Error> {
        let Some(request) = request(&self.url, self.style, ping) else {
            return Ok(());
        };
        let sent = http::send_once(&request, &http::retry::Budget::new(budget), |left| left);
        sent.map(drop).map_err(|why| match why {
            NotTaken::NoTime => Error::rule("no time was left to send it"),
            NotTaken::Refused(a) => Error::rule(format!("the server answered {}", a.status)),
            NotTaken::Failed(e) => Error::rule_from(e.message.clone(), e),
        })
    }

    /// A failure is one warning line, in one `write` so that the job's own
    /// output cannot split it.
    pub(crate) fn send_or_warn(&self, program: &str, ping: &Ping, budget: Duration) {
        if let Err(why) = self.send(ping, budget) {
            let line = format!(
                "{program}: warning: the ping to {} failed: {why}; the exit code is unchanged\n",
                crate::escape::terminal(&http::shown(self.url.as_str()))
            );
            let _ = std::io::stderr().lock().write_all(line.as_bytes());
        }
    }
}

/// hb-check's ping: whether it could check, and its exit code.
pub(crate) fn after_check(url: &Url, style: Style, checked: bool, code: u8, took: Duration) {
    let ping = Ping::Beat {
        ok: checked,
        exit_code: Some(i32::from(code)),
        body: Some(format!("hb-check exit code {code}")),
        duration: Some(took),
    };
    Pinger::new(url.clone(), style).send_or_warn("hb-check", &ping, BUDGET);
}

const KUMA_MSG_MAX: usize = 200;

/// Which protocol the ping URL speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Style {
    /// Healthchecks.io and compatible: `URL/start`, `URL/<exit code>`,
    /// `URL/fail`, with a `rid` pairing start and end.
    Healthchecks,
    /// Uptime Kuma push monitors: `URL?status=up|down&msg=..&ping=<ms>`.
    UptimeKuma,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Ping {
    /// A wrapped run starts; `rid` (a UUID) pairs it with its end.
    Start { rid: String },
    /// A wrapped run ended; `body` is its output tail.
    End {
        rid: String,
        exit_code: i32,
        duration: Duration,
        /// What the wrapper saw (it ended the run, a signal did), said first.
        note: Option<String>,
        body: String,
    },
    /// A plain heartbeat (no wrapped run), with the job's message if any.
    Beat {
        ok: bool,
        /// The exit status (0 to 255), when known.
        exit_code: Option<i32>,
        body: Option<String>,
        duration: Option<Duration>,
    },
}

/// `None` when the style has no such ping (Uptime Kuma knows no start).
pub(crate) fn request(url: &Url, style: Style, ping: &Ping) -> Option<Request> {
    let (method, url, body) = match style {
        Style::Healthchecks => healthchecks(url, ping),
        Style::UptimeKuma => kuma(url, ping)?,
    };
    Some(Request {
        method,
        url: url.into(),
        body: body.map(|b| ("text/plain; charset=utf-8", b.into_bytes())),
        ..Request::default()
    })
}

fn healthchecks(base: &Url, ping: &Ping) -> (Method, Url, Option<String>) {
    let mut url = base.clone();
    let (suffix, rid, body) = match ping {
        // A POST even without a body: a check that accepts POST only ignores a GET.
        Ping::Start { rid } => (Some("start".to_owned()), Some(rid), String::new()),
        Ping::End {
            rid,
            exit_code,
            note,
            body,
            ..
        } => (
            Some(exit_code.to_string()),
            Some(rid),
            crate::supervise::lines([note.clone(), Some(body.clone())]).unwrap_or_default(),
        ),
        Ping::Beat {
            ok,
            exit_code,
            body,
            ..
        } => {
            // For a failure, its exit status (Healthchecks records `/<0-255>`), else `fail`.
            let suffix = match exit_code {
                _ if *ok => None,
                Some(code @ 1..=255) => Some(code.to_string()),
                _ => Some("fail".to_owned()),
            };
            (suffix, None, body.clone().unwrap_or_default())
        }
    };
    if let (Some(suffix), Ok(mut path)) = (suffix, url.path_segments_mut()) {
        path.pop_if_empty().push(&suffix);
    }
    if let Some(rid) = rid {
        url.query_pairs_mut().append_pair("rid", rid);
    }
    (Method::POST, url, Some(body))
}

fn kuma(base: &Url, ping: &Ping) -> Option<(Method, Url, Option<String>)> {
    let (ok, msg, duration) = match ping {
        Ping::Start { .. } => return None,
        Ping::End {
            exit_code,
            duration,
            note,
            body,
            ..
        } => {
            let said = note.as_deref().and_then(|n| n.lines().next());
            let msg = match (exit_code, said.or_else(|| last_line(body))) {
                (0, _) => "OK".to_owned(),
                (code, Some(line)) => format!("exit code {code}: {line}"),
                (code, None) => format!("exit code {code}"),
            };
            (*exit_code == 0, msg, Some(*duration))
        }
        Ping::Beat {
            ok, body, duration, ..
        } => {
            let said = body.as_deref().and_then(last_line);
            let msg = said.unwrap_or(if *ok { "OK" } else { "failed" });
            (*ok, msg.to_owned(), *duration)
        }
    };
    let mut url = base.clone();
    // Kuma's push URL holds `status`, `msg` and `ping`: replace those, keep the rest.
    let kept = base.query_pairs();
    let kept = kept.filter(|(k, _)| !matches!(k.as_ref(), "status" | "msg" | "ping"));
    let ms = duration.map_or(String::new(), |d| d.as_millis().to_string());
    url.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair("status", if ok { "up" } else { "down" })
        .append_pair("msg", crate::record::cut(&msg, KUMA_MSG_MAX))
        .append_pair("ping", &ms);
    Some((Method::GET, url, None))
}

fn last_line(text: &str) -> Option<&str> {
    text.lines().map(str::trim).rfind(|l| !l.is_empty())
}

#[cfg(test)]
mod tests;
