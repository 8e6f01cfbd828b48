//! The one HTTP client: one deadline for the whole exchange, a limit on what
//! is read of an answer, no redirects followed.

pub(crate) mod redact;
pub(crate) mod retry;

use std::sync::{Arc, LazyLock, OnceLock};
use std::time::Duration;

pub(crate) use ureq::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use ureq::tls::{Certificate, RootCerts, TlsConfig};
use ureq::{Agent, RequestExt};

use retry::{Backoff, Budget, Failed, Repeat};

pub(crate) use redact::{hide_urls, shown};

#[derive(Debug, Clone, Default)]
pub(crate) struct Request {
    pub(crate) method: Method,
    pub(crate) url: String,
    /// A value marked sensitive is never shown.
    pub(crate) headers: Vec<(header::HeaderName, HeaderValue)>,
    pub(crate) body: Option<(&'static str, Vec<u8>)>,
    /// The most read of a successful answer's body (`None`: none), and of an
    /// error answer's, which is empty when longer.
    pub(crate) limit: Option<u64>,
    pub(crate) error_limit: Option<u64>,
}

#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// No connection was made: the server cannot have seen the request.
    Unsent,
    /// The answer began but did not arrive whole within the deadline.
    Slow,
    TooLong,
    /// Anything else: the request may have been acted on.
    Broken,
}

/// A failed attempt; its message holds no URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub(crate) kind: Kind,
    pub(crate) message: String,
    /// The status of an answer whose body failed: the server took the request.
    pub(crate) answered: Option<u16>,
}

fn unsent(message: String) -> Failure {
    Failure {
        kind: Kind::Unsent,
        message,
        answered: None,
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// Why [`send_once`] brought no success.
#[derive(Debug)]
pub(crate) enum NotTaken {
    /// Less than [`MIN_ATTEMPT`] was left.
    NoTime,
    Refused(Box<Answer>),
    Failed(Failure),
}

const MIN_ATTEMPT: Duration = Duration::from_millis(200);

/// The agents, shared by every client: the one for `https` made on first
/// use, for only then are the system's certificates read.
static PLAIN: LazyLock<Agent> = LazyLock::new(|| agent(TlsConfig::default()));
static TLS: OnceLock<Result<Agent, String>> = OnceLock::new();

/// One attempt, all of it within `deadline`; an answer of any status is `Ok`.
pub(crate) fn send(request: &Request, deadline: Duration) -> Result<Answer, Failure> {
    let agent = if request.url.starts_with("https:") {
        (TLS.get_or_init(tls_agent).as_ref()).map_err(|why| unsent(why.clone()))?
    } else {
        &PLAIN
    };
    let builder = ureq::http::Request::builder().method(request.method.clone());
    let (kind, body) = request.body.clone().unzip();
    let content = kind.map(|kind| (header::CONTENT_TYPE, HeaderValue::from_static(kind)));
    let headers = request.headers.iter().cloned().chain(content);
    let builder = headers.fold(builder.uri(&request.url), |b, (k, v)| b.header(k, v));
    let built = (builder.body(body.unwrap_or_default())).map_err(|e| unsent(cannot_make(&e)))?;
    let mut response = built
        .with_agent(agent)
        .configure()
        .timeout_global(Some(deadline))
        .build()
        .run()
        .map_err(|e| failure(e, deadline, None))?;
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    let ok = status.is_success();
    let limit = if ok {
        request.limit
    } else {
        request.error_limit
    };
    let body = match limit {
        None => Vec::new(),
        Some(limit) => match response.body_mut().with_config().limit(limit).read_to_vec() {
            Ok(body) => body,
            Err(_) if !ok => Vec::new(),
            Err(e) => return Err(failure(e, deadline, Some(status.as_u16()))),
        },
    };
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// Sends `request`, which the server must take once only (a ping, a
/// notification): again only when it certainly did not take it; an
/// attempt may take `deadline(left)` of what is left of `budget`.
pub(crate) fn send_once(
    request: &Request,
    budget: &Budget,
    deadline: fn(Duration) -> Duration,
) -> Result<Answer, NotTaken> {
    let attempt = || match budget.left() {
        left if left < MIN_ATTEMPT => Err(NotTaken::NoTime),
        left => match send(request, deadline(left)) {
            Ok(answer) if answer.status.is_success() => Ok(answer),
            Ok(answer) => Err(NotTaken::Refused(Box::new(answer))),
            Err(e) => Err(NotTaken::Failed(e)),
        },
    };
    let failed = |e: &NotTaken| match e {
        NotTaken::NoTime => Failed::default(),
        NotTaken::Refused(answer) => Failed {
            status: Some(answer.status.as_u16()),
            retry_after: retry::rate_limit(&answer.headers, chrono::Utc::now()).0,
            ..Failed::default()
        },
        NotTaken::Failed(e) => Failed {
            unsent: e.kind == Kind::Unsent,
            ..Failed::default()
        },
    };
    let backoff = Backoff::new(Repeat::Once, MIN_ATTEMPT);
    retry::call(backoff, budget, attempt, failed).map_err(|gave_up| gave_up.error)
}

fn agent(tls: TlsConfig) -> Agent {
    Agent::config_builder()
        .user_agent(concat!("cron-heartbeat/", env!("CARGO_PKG_VERSION")))
        // Answers are judged by their status, not turned into errors.
        .http_status_as_error(false)
        // A redirect could carry the token or the ping elsewhere.
        .max_redirects(0)
        .max_redirects_will_error(false)
        // No proxy from the environment: hb-write must not depend on it.
        .proxy(None)
        .tls_config(tls)
        .build()
        .new_agent()
}

/// The agent for `https`: the system's certificates (Debian's `ca-certificates`).
fn tls_agent() -> Result<Agent, String> {
    let found = rustls_native_certs::load_native_certs();
    let certs = (found.certs.iter()).map(|der| Certificate::from_der(der).to_owned());
    let certs: Vec<Certificate<'static>> = certs.collect();
    if certs.is_empty() {
        let why = (found.errors.first()).map_or("none found".to_owned(), ToString::to_string);
        let why = crate::escape::terminal(&why);
        return Err(format!("cannot read the system's certificate store: {why}"));
    }
    let tls = TlsConfig::builder()
        .root_certs(RootCerts::Specific(Arc::new(certs)))
        .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .build();
    Ok(agent(tls))
}

/// `answered`: the error came while the body of an answer with that status was read.
fn failure(err: ureq::Error, deadline: Duration, answered: Option<u16>) -> Failure {
    use std::io::ErrorKind as K;
    use ureq::Error as E;
    let reading = answered.is_some();
    // Before the request is sent.
    let unsent = [
        K::ConnectionRefused,
        K::HostUnreachable,
        K::NetworkUnreachable,
        K::AddrNotAvailable,
    ];
    let within = format!("within {}", seconds(deadline));
    let (kind, message) = match err {
        E::Timeout(_) if reading => (
            Kind::Slow,
            format!("the answer did not arrive whole {within}"),
        ),
        E::Timeout(_) => (Kind::Broken, format!("no answer {within}")),
        E::BodyExceedsLimit(limit) => {
            let limit = size(limit);
            let why = format!("the answer is longer than the {limit} the client reads");
            (Kind::TooLong, why)
        }
        E::Io(e) if reading => (Kind::Broken, format!("the answer broke off: {e}")),
        E::Io(e) if unsent.contains(&e.kind()) => (Kind::Unsent, format!("cannot connect: {e}")),
        // A refused TLS handshake too: it cannot be told from a break after the request.
        E::Io(e) => (Kind::Broken, format!("the connection failed: {e}")),
        E::HostNotFound => (Kind::Unsent, "cannot connect: host not found".to_owned()),
        E::ConnectionFailed => (Kind::Unsent, "cannot connect".to_owned()),
        E::Rustls(e) => (Kind::Unsent, format!("cannot connect: TLS: {e}")),
        E::Tls(e) => (Kind::Unsent, format!("cannot connect: TLS: {e}")),
        // These quote the URL: say what they are without it.
        E::BadUri(_) | E::RequireHttpsOnly(_) => {
            (Kind::Unsent, "the URL cannot be used".to_owned())
        }
        E::Http(e) => (Kind::Unsent, cannot_make(&e)),
        other => (Kind::Broken, other.to_string()),
    };
    let message = crate::escape::terminal(&message).into_owned();
    Failure {
        kind,
        message,
        answered,
    }
}

/// Without the value it refused: a header value may be the token.
fn cannot_make(e: &ureq::http::Error) -> String {
    let why = if e.is::<ureq::http::header::InvalidHeaderValue>() {
        "a header value holds characters HTTP cannot carry".to_owned()
    } else if e.is::<ureq::http::uri::InvalidUri>() {
        "the URL cannot be used".to_owned()
    } else {
        e.to_string()
    };
    format!("cannot make the request: {why}")
}

/// `250ms`, else seconds cut to tenths (`1.4s`, not `1.4999998620000001s`).
fn seconds(deadline: Duration) -> String {
    let (millis, tenths) = (deadline.as_millis(), deadline.as_millis() / 100);
    match tenths % 10 {
        _ if millis < 1000 => format!("{millis}ms"),
        0 => format!("{}s", tenths / 10),
        tenth => format!("{}.{tenth}s", tenths / 10),
    }
}

/// `4 MiB`, `64 KiB`, `200 bytes`.
fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIVE: Duration = Duration::from_secs(5);

    fn get(url: String) -> Request {
        Request {
            url,
            limit: Some(16),
            ..Request::default()
        }
    }

    #[test]
    fn a_refused_connection_is_unsent_and_a_long_answer_too_long() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let refused = send(&get(format!("http://127.0.0.1:{port}/x")), FIVE).unwrap_err();
        assert_eq!(refused.kind, Kind::Unsent, "{refused:?}");
        assert!(refused.message.starts_with("cannot connect"), "{refused:?}");

        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            use std::io::{Read, Write};
            let (mut stream, _) = listener.accept().unwrap();
            let mut buf = [0u8; 1024];
            let _ = stream.read(&mut buf);
            let body = "x".repeat(17);
            let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len());
            let _ = stream.write_all(format!("{head}{body}").as_bytes());
        });
        let long = send(&get(format!("http://127.0.0.1:{port}/x")), FIVE).unwrap_err();
        server.join().unwrap();
        assert_eq!(long.kind, Kind::TooLong, "{long:?}");
        assert_eq!(
            long.message,
            "the answer is longer than the 16 bytes the client reads"
        );
    }

    #[test]
    fn a_deadline_is_said_in_readable_units_and_never_overstated() {
        for (nanos, said) in [
            (1_499_999_862, "1.4s"),
            (10_000_000_000, "10s"),
            (9_999_999_999, "9.9s"),
            (1_000_000_000, "1s"),
            (250_000_000, "250ms"),
            (99_999_999, "99ms"),
        ] {
            assert_eq!(seconds(Duration::from_nanos(nanos)), said);
        }
    }

    #[test]
    fn sizes_are_written_in_the_largest_whole_unit() {
        assert_eq!(size(4 << 20), "4 MiB");
        assert_eq!(size(64 << 10), "64 KiB");
        assert_eq!(size(200), "200 bytes");
    }
}
