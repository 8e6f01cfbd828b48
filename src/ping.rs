//! Push pings to a dead man's switch (Healthchecks, Uptime Kuma), best
//! effort: bounded in time, retried a little, never able to change what the
//! caller does.
//!
//! The heartbeat file is always written before a ping is sent, so local
//! truth never depends on the network. A ping URL carries the check's
//! secret, so messages name only its host.

use std::thread;
use std::time::{Duration, Instant};

use reqwest::blocking::Client;
use reqwest::{Method, StatusCode, Url};

/// The most time one ping may take, retries included.
pub const BUDGET: Duration = Duration::from_secs(10);

/// The most attempts of one ping: the first and two retries.
pub const ATTEMPTS: u32 = 3;

/// The longest `msg` sent to Uptime Kuma, in bytes.
pub const KUMA_MSG_MAX: usize = 200;

/// Which protocol the ping URL speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Style {
    /// Healthchecks.io and compatible: `URL/start`, `URL/<exit code>`,
    /// `URL/fail`, with a `rid` pairing start and end.
    Healthchecks,
    /// Uptime Kuma push monitors: `URL?status=up|down&msg=..&ping=<ms>`.
    UptimeKuma,
}

/// What a ping reports.
#[derive(Debug, Clone, PartialEq)]
pub enum Ping {
    /// A wrapped run starts; `rid` pairs it with its end.
    Start {
        /// The run id, a UUID.
        rid: String,
    },
    /// A wrapped run ended with `exit_code`; `body` is its output tail.
    End {
        /// The run id of the start ping.
        rid: String,
        /// The command's exit code.
        exit_code: i32,
        /// How long it ran.
        duration: Duration,
        /// The output tail.
        body: String,
    },
    /// A plain heartbeat (no wrapped run): success or failure.
    Beat {
        /// Whether the job reported success.
        ok: bool,
        /// The job's message, if any.
        body: Option<String>,
        /// How long it ran, when known.
        duration: Option<Duration>,
    },
}

/// One HTTP request a ping turns into.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// GET or POST.
    pub method: Method,
    /// The full URL, query included.
    pub url: Url,
    /// The body of a POST.
    pub body: Option<String>,
}

/// Parses a ping URL: `http` or `https`, with a host and no user name or
/// password.
pub fn parse_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|e| format!("invalid ping URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err("invalid ping URL: it must be an http:// or https:// URL with a host".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("invalid ping URL: it must not carry a user name or password".into());
    }
    Ok(url)
}

/// The request `ping` becomes in `style`, or `None` when the style has no
/// such ping (Uptime Kuma knows no start).
pub fn request(url: &Url, style: Style, ping: &Ping) -> Option<Request> {
    match style {
        Style::Healthchecks => Some(healthchecks(url, ping)),
        Style::UptimeKuma => kuma(url, ping),
    }
}

fn healthchecks(base: &Url, ping: &Ping) -> Request {
    let mut url = base.clone();
    let (suffix, rid, body) = match ping {
        Ping::Start { rid } => (Some("start".to_owned()), Some(rid), None),
        Ping::End {
            rid,
            exit_code,
            body,
            ..
        } => (Some(exit_code.to_string()), Some(rid), Some(body.clone())),
        Ping::Beat { ok, body, .. } => (
            (!ok).then(|| "fail".to_owned()),
            None,
            Some(body.clone().unwrap_or_default()),
        ),
    };
    if let Some(suffix) = suffix {
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().push(&suffix);
        }
    }
    if let Some(rid) = rid {
        url.query_pairs_mut().append_pair("rid", rid);
    }
    let method = if body.is_some() {
        Method::POST
    } else {
        Method::GET
    };
    Request { method, url, body }
}

fn kuma(base: &Url, ping: &Ping) -> Option<Request> {
    let (ok, msg, duration) = match ping {
        Ping::Start { .. } => return None,
        Ping::End {
            exit_code,
            duration,
            body,
            ..
        } => {
            let msg = if *exit_code == 0 {
                "OK".to_owned()
            } else {
                match last_line(body) {
                    Some(line) => format!("exit code {exit_code}: {line}"),
                    None => format!("exit code {exit_code}"),
                }
            };
            (*exit_code == 0, msg, Some(*duration))
        }
        Ping::Beat { ok, body, duration } => {
            let msg = body
                .as_deref()
                .and_then(last_line)
                .map(str::to_owned)
                .unwrap_or_else(|| if *ok { "OK" } else { "failed" }.to_owned());
            (*ok, msg, *duration)
        }
    };
    let mut url = base.clone();
    // The push URL Kuma shows already holds `status`, `msg` and `ping`:
    // replace those, keep anything else.
    let kept: Vec<(String, String)> = base
        .query_pairs()
        .filter(|(k, _)| !matches!(k.as_ref(), "status" | "msg" | "ping"))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    {
        let mut query = url.query_pairs_mut();
        query.clear();
        for (k, v) in &kept {
            query.append_pair(k, v);
        }
        query.append_pair("status", if ok { "up" } else { "down" });
        query.append_pair("msg", cut(&msg, KUMA_MSG_MAX));
        query.append_pair(
            "ping",
            &duration.map_or(String::new(), |d| d.as_millis().to_string()),
        );
    }
    Some(Request {
        method: Method::GET,
        url,
        body: None,
    })
}

/// A reqwest error with its causes, without the URL (it holds the secret).
fn describe(err: reqwest::Error) -> String {
    let err = err.without_url();
    let mut text = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    crate::escape::terminal(&text).into_owned()
}

fn last_line(text: &str) -> Option<&str> {
    text.lines().map(str::trim).rfind(|l| !l.is_empty())
}

fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Sends pings; cheap to clone, so a ping can go from another thread.
#[derive(Debug, Clone)]
pub struct Pinger {
    client: Client,
    url: Url,
    style: Style,
}

impl Pinger {
    /// A pinger for `url` in `style`.
    pub fn new(url: Url, style: Style) -> Result<Pinger, String> {
        let client = Client::builder()
            .user_agent(concat!("cron-heartbeat/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(BUDGET)
            .build()
            .map_err(|e| format!("cannot set up the HTTP client: {}", e.without_url()))?;
        Ok(Pinger { client, url, style })
    }

    /// The host pinged, for messages (the rest of the URL is the secret).
    pub fn host(&self) -> &str {
        self.url.host_str().unwrap_or("?")
    }

    /// Sends `ping` within `budget` (at most [`BUDGET`]), retrying timeouts,
    /// 429 and 5xx answers up to [`ATTEMPTS`] in all. The answer's body is
    /// never read. Returns why it failed.
    pub fn send(&self, ping: &Ping, budget: Duration) -> Result<(), String> {
        let Some(req) = request(&self.url, self.style, ping) else {
            return Ok(());
        };
        let until = Instant::now() + budget.min(BUDGET);
        let mut last = String::from("no time was left to send it");
        for attempt in 0..ATTEMPTS {
            let left = until.saturating_duration_since(Instant::now());
            if left < Duration::from_millis(100) {
                break;
            }
            // Share what is left among the attempts still allowed, so that a
            // hanging server leaves room for a retry.
            let timeout = left / (ATTEMPTS - attempt);
            let mut builder = self
                .client
                .request(req.method.clone(), req.url.clone())
                .timeout(timeout);
            if let Some(body) = &req.body {
                builder = builder
                    .header("content-type", "text/plain; charset=utf-8")
                    .body(body.clone());
            }
            let retry = match builder.send() {
                Ok(resp) if resp.status().is_success() => return Ok(()),
                Ok(resp) => {
                    let status = resp.status();
                    last = format!("the server answered {status}");
                    status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
                }
                Err(err) if err.is_timeout() => {
                    last = format!("no answer within {:.1}s", timeout.as_secs_f64());
                    true
                }
                Err(err) => {
                    last = describe(err);
                    false
                }
            };
            if !retry || attempt + 1 == ATTEMPTS {
                break;
            }
            let pause = Duration::from_millis(300 << attempt);
            let left = until.saturating_duration_since(Instant::now());
            thread::sleep(pause.min(left / 2));
        }
        Err(last)
    }

    /// Sends `ping` and prints one warning line on stderr if it fails.
    pub fn send_or_warn(&self, program: &str, ping: &Ping, budget: Duration) {
        if let Err(why) = self.send(ping, budget) {
            eprintln!(
                "{program}: warning: the ping to {} failed: {why}; the exit code is unchanged",
                crate::escape::terminal(self.host())
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        parse_url(text).unwrap()
    }

    #[test]
    fn healthchecks_pings_follow_the_protocol() {
        let base = url("https://hc.example/ping/abc");
        let start = request(&base, Style::Healthchecks, &Ping::Start { rid: "R".into() }).unwrap();
        assert_eq!(start.method, Method::GET);
        assert_eq!(
            start.url.as_str(),
            "https://hc.example/ping/abc/start?rid=R"
        );
        let end = Ping::End {
            rid: "R".into(),
            exit_code: 3,
            duration: Duration::from_millis(1500),
            body: "hi\n".into(),
        };
        let end = request(
            &url("https://hc.example/ping/abc/"),
            Style::Healthchecks,
            &end,
        )
        .unwrap();
        assert_eq!(end.method, Method::POST);
        assert_eq!(end.url.as_str(), "https://hc.example/ping/abc/3?rid=R");
        assert_eq!(end.body.as_deref(), Some("hi\n"));
        let fail = Ping::Beat {
            ok: false,
            body: None,
            duration: None,
        };
        let fail = request(&base, Style::Healthchecks, &fail).unwrap();
        assert_eq!(fail.url.as_str(), "https://hc.example/ping/abc/fail");
    }

    #[test]
    fn kuma_pings_replace_the_default_query() {
        let base = url("http://kuma:3001/api/push/TOKEN?status=up&msg=OK&ping=&x=1");
        assert_eq!(
            request(&base, Style::UptimeKuma, &Ping::Start { rid: "R".into() }),
            None
        );
        let end = Ping::End {
            rid: "R".into(),
            exit_code: 2,
            duration: Duration::from_millis(1234),
            body: "first\nlast words\n\n".into(),
        };
        let req = request(&base, Style::UptimeKuma, &end).unwrap();
        assert_eq!(req.method, Method::GET);
        assert_eq!(
            req.url.as_str(),
            "http://kuma:3001/api/push/TOKEN?x=1&status=down&msg=exit+code+2%3A+last+words&ping=1234"
        );
        let ok = Ping::Beat {
            ok: true,
            body: None,
            duration: None,
        };
        let req = request(&base, Style::UptimeKuma, &ok).unwrap();
        assert!(
            req.url.as_str().ends_with("status=up&msg=OK&ping="),
            "{}",
            req.url
        );
    }

    #[test]
    fn ping_urls_must_be_http_without_credentials() {
        assert!(parse_url("https://hc-ping.com/uuid").is_ok());
        for bad in ["ftp://x/y", "hc-ping.com/x", "https://u:p@hc/x", "http://"] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
        assert_eq!(cut("aé", 2), "a");
    }
}
