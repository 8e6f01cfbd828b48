//! What each ping is, in each protocol: the URL, method and body of the
//! one request it becomes. No I/O here.

use std::time::Duration;

use url::Url;

use crate::http::{Method, Request};

/// The longest `msg` sent to Uptime Kuma, in bytes.
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

/// What a ping reports.
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
        /// The exit status to report, when known (0 to 255); a failure
        /// without one is reported as `fail`.
        exit_code: Option<i32>,
        body: Option<String>,
        duration: Option<Duration>,
    },
}

/// The request `ping` becomes in `style`, or `None` when the style has no
/// such ping (Uptime Kuma knows no start).
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
        // A POST even without a body: a check set to accept POST only
        // ignores a GET.
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
            // None for success; for a failure its exit status, which
            // Healthchecks records (`/<0-255>`), else `fail`.
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
            let fallback = if *ok { "OK" } else { "failed" };
            let said = body.as_deref().and_then(last_line);
            let msg = said.unwrap_or(fallback).to_owned();
            (*ok, msg, *duration)
        }
    };
    let mut url = base.clone();
    // The push URL Kuma shows already holds `status`, `msg` and `ping`:
    // replace those, keep anything else.
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
mod tests {
    use super::*;
    use crate::record::cut;

    fn url(text: &str) -> Url {
        super::super::parse_url(text).unwrap()
    }

    fn body(request: &Request) -> Option<&str> {
        request
            .body
            .as_ref()
            .map(|(_, b)| std::str::from_utf8(b).unwrap())
    }

    #[test]
    fn a_cut_keeps_whole_characters() {
        assert_eq!(cut("aé", 2), "a");
    }

    #[test]
    fn healthchecks_pings_follow_the_protocol() {
        let base = url("https://hc.example/ping/abc");
        let start = request(&base, Style::Healthchecks, &Ping::Start { rid: "R".into() }).unwrap();
        assert_eq!(
            start.method,
            Method::POST,
            "a POST-only check ignores a GET"
        );
        assert_eq!(body(&start), Some(""));
        assert_eq!(
            start.url.as_str(),
            "https://hc.example/ping/abc/start?rid=R"
        );
        let end = Ping::End {
            rid: "R".into(),
            exit_code: 3,
            duration: Duration::from_millis(1500),
            note: None,
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
        assert_eq!(body(&end), Some("hi\n"));
        let beat = |ok, exit_code| Ping::Beat {
            ok,
            exit_code,
            body: None,
            duration: None,
        };
        let url_of = |ping: &Ping| {
            let req = request(&base, Style::Healthchecks, ping).unwrap();
            req.url.as_str().to_owned()
        };
        assert_eq!(
            url_of(&beat(false, None)),
            "https://hc.example/ping/abc/fail"
        );
        assert_eq!(
            url_of(&beat(false, Some(3))),
            "https://hc.example/ping/abc/3"
        );
        assert_eq!(
            url_of(&beat(false, Some(255))),
            "https://hc.example/ping/abc/255"
        );
        assert_eq!(
            url_of(&beat(false, Some(300))),
            "https://hc.example/ping/abc/fail"
        );
        assert_eq!(url_of(&beat(true, Some(0))), "https://hc.example/ping/abc");
    }

    #[test]
    fn the_wrappers_note_comes_first_in_the_end_ping() {
        let end = Ping::End {
            rid: "R".into(),
            exit_code: 143,
            duration: Duration::from_secs(60),
            note: Some("hb-write: ended the run after 1m\nhb-write: more".into()),
            body: "working\n".into(),
        };
        let base = url("https://hc.example/p");
        let hc = request(&base, Style::Healthchecks, &end).unwrap();
        assert_eq!(
            body(&hc),
            Some("hb-write: ended the run after 1m\nhb-write: more\nworking\n")
        );
        let kuma = request(&base, Style::UptimeKuma, &end).unwrap();
        assert!(
            kuma.url
                .as_str()
                .contains("msg=exit+code+143%3A+hb-write%3A+ended+the+run+after+1m&"),
            "{}",
            kuma.url
        );
    }

    #[test]
    fn kuma_pings_replace_the_default_query() {
        let base = url("http://kuma:3001/api/push/TOKEN?status=up&msg=OK&ping=&x=1");
        assert!(request(&base, Style::UptimeKuma, &Ping::Start { rid: "R".into() }).is_none());
        let end = Ping::End {
            rid: "R".into(),
            exit_code: 2,
            duration: Duration::from_millis(1234),
            note: None,
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
            exit_code: None,
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
}
