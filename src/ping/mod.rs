//! Push pings to a dead man's switch (Healthchecks, Uptime Kuma), best
//! effort: bounded in time, retried a little, never able to change what the
//! caller does.
//!
//! The heartbeat file is always written before a ping is sent, so local
//! truth never depends on the network. A ping URL carries the check's
//! secret, so messages name only its host.

use std::io::Write as _;
use std::time::Duration;

use url::Url;

use crate::http::redact::SecretParser;
use crate::http::retry::Budget;
use crate::http::{self, Http, NotTaken};
use crate::Error;

mod protocol;
pub use protocol::Style;
pub(crate) use protocol::{request, Ping};

/// The most time one ping may take, retries included.
pub(crate) const BUDGET: Duration = Duration::from_secs(10);

/// The start ping's. The command runs meanwhile, but its end waits for
/// the start (so that they arrive in order): a slow server may hold a
/// short run back by this much, and no more.
pub(crate) const START_BUDGET: Duration = Duration::from_millis(1500);

/// Parses a ping URL: `http` or `https`, with a host and no user name or
/// password.
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

/// Sends pings; cheap to clone, so a ping can go from another thread.
#[derive(Debug, Clone)]
pub(crate) struct Pinger {
    http: Http,
    url: Url,
    style: Style,
}

impl Pinger {
    pub(crate) fn new(url: Url, style: Style) -> Pinger {
        let http = Http::default();
        Pinger { http, url, style }
    }

    /// Sends `ping` within `budget`, once ([`Http::send_once`]): after a
    /// timeout the first may yet arrive, and a second would count twice.
    pub(crate) fn send(&self, ping: &Ping, budget: Duration) -> Result<(), Error> {
        let Some(request) = request(&self.url, self.style, ping) else {
            return Ok(());
        };
        let sent = (self.http).send_once(&request, &Budget::new(budget), |left| left);
        sent.map(drop).map_err(|why| {
            let (reason, source) = match why {
                NotTaken::NoTime => ("no time was left to send it".to_owned(), None),
                NotTaken::Refused(a) => (format!("the server answered {}", a.status), None),
                NotTaken::Failed(e) => (e.message.clone(), Some(Box::new(e) as _)),
            };
            Error::Ping { reason, source }
        })
    }

    /// Sends `ping` and, if it fails, writes one warning line on stderr in
    /// one `write`, so that the job's own output cannot split it.
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

/// hb-check's ping after its run: whether it could check (judged every
/// job, every channel worked), and its exit code.
pub(crate) fn after_check(url: &Url, style: Style, checked: bool, code: u8, took: Duration) {
    let ping = Ping::Beat {
        ok: checked,
        exit_code: Some(i32::from(code)),
        body: Some(format!("hb-check exit code {code}")),
        duration: Some(took),
    };
    Pinger::new(url.clone(), style).send_or_warn("hb-check", &ping, BUDGET);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_parser_names_the_flag_and_never_the_value() {
        let parser = URL_PARSER;
        let refusal = |arg: clap::Arg, value: &str| {
            let cmd = clap::Command::new("hb-check").arg(arg.value_parser(parser.clone()));
            let err = cmd.try_get_matches_from(["hb-check", "--ping", value]);
            err.unwrap_err().render().to_string()
        };
        let ping = clap::Arg::new("ping").long("ping");
        let given = "https://u:s3cret@hc.example/SECRET";
        assert_eq!(
            refusal(ping.clone().env("HB_CHECK_PING_URL"), given),
            "error: invalid ping URL https://hc.example: it must not carry a user name or password (given to `--ping` or `HB_CHECK_PING_URL`)\n"
        );
        let hidden = ping.clone().env("HB_PING").hide(true);
        assert!(refusal(hidden, "ftp://h/SECRET").ends_with("(given to HB_PING)\n"));
        assert!(refusal(ping, "x").ends_with("(given to `--ping`)\n"));
    }

    #[test]
    fn ping_urls_must_be_http_without_credentials() {
        assert!(parse_url("https://hc-ping.com/uuid").is_ok());
        for bad in ["ftp://x/y", "hc-ping.com/x", "https://u:p@hc/x", "http://"] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
        let why = parse_url("https://ops:s3cret@hc.example/SECRET-UUID")
            .unwrap_err()
            .to_string();
        assert!(!why.contains("s3cret") && !why.contains("SECRET"), "{why}");
        assert!(why.contains("https://hc.example"), "{why}");
    }
}
