//! hb-write's monitoring settings, each from its flag or else its `HB_*`
//! variable. A bad flag is a usage error (its typist reads it); a bad
//! variable, set in a crontab for every job, is one warning line naming it
//! and the rule, and the default applies. A ping URL shows only its scheme
//! and host: its path is the check's secret.

use clap::ValueEnum;
use url::Url;

use crate::ping::{self, Style};
use crate::record::parse_factor;
use crate::Error;

use super::{parse_schedule, Args, PROGRAM};

pub(crate) struct Settings {
    pub(crate) factor: f64,
    pub(crate) ping: Option<(Url, Style)>,
    pub(crate) schedule: Option<String>,
}

/// The settings of `args`; `Err` is a usage error in a flag.
pub(crate) fn resolve(args: &Args) -> Result<Settings, Error> {
    let ping = match args.ping.as_deref() {
        Some(text) => {
            let bad = |rule| Error::rule(format!("invalid --ping{}: {rule}", url_shown(text)));
            Some(parse_ping(text).map_err(bad)?)
        }
        None => from_env("HB_PING_URL", parse_ping, url_shown, "no ping is sent"),
    };
    let healthchecks = "the default, healthchecks, applies";
    let style =
        (args.ping_style).or_else(|| from_env("HB_PING_STYLE", parse_style, quoted, healthchecks));
    let factor = (args.factor)
        .or_else(|| from_env("HB_FACTOR", parse_factor, quoted, "the default, 2, applies"));
    let none = "the record holds no schedule";
    Ok(Settings {
        factor: factor.unwrap_or(2.0), // hb-check's default
        ping: ping.map(|url| (url, style.unwrap_or(Style::Healthchecks))),
        schedule: (args.schedule.clone())
            .or_else(|| from_env("HB_SCHEDULE", parse_schedule, quoted, none)),
    })
}

/// The value of `name`, parsed; a bad one is a warning line and `None`.
fn from_env<T, E: std::fmt::Display>(
    name: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
    show: fn(&str) -> String,
    fallback: &str,
) -> Option<T> {
    let raw = std::env::var_os(name)?;
    let rule = match raw.to_str().map(parse) {
        Some(Ok(value)) => return Some(value),
        Some(Err(err)) => err.to_string(),
        None => "it is not valid UTF-8".to_owned(),
    };
    let shown = show(&raw.to_string_lossy());
    eprintln!("{PROGRAM}: warning: ignoring `{name}`{shown}: {rule}; {fallback}");
    None
}

/// A value as given, in backticks after a space.
fn quoted(text: &str) -> String {
    format!(" `{}`", crate::escape::terminal(text))
}

/// A URL's scheme and host (see [`crate::http::shown`]) in parentheses after a space.
fn url_shown(text: &str) -> String {
    if !text.contains("://") {
        return String::new();
    }
    format!(" ({})", crate::escape::terminal(&crate::http::shown(text)))
}

/// A ping URL, or the rule it breaks (in words that never repeat it).
fn parse_ping(text: &str) -> Result<Url, String> {
    ping::parse_url(text).map_err(|_| {
        "a ping URL must be an http:// or https:// URL with a host and no user name or password"
            .to_owned()
    })
}

fn parse_style(text: &str) -> Result<Style, String> {
    Style::from_str(text, true).map_err(|_| {
        let values = (Style::value_variants().iter()).filter_map(ValueEnum::to_possible_value);
        let names: Vec<_> = values.map(|v| v.get_name().to_owned()).collect();
        format!("the ping style is one of {}", names.join(", "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ping_url_shows_its_scheme_and_host_only() {
        assert_eq!(
            url_shown("htps://hc.example.com/ping/secret-uuid"),
            " (htps://hc.example.com)"
        );
        assert_eq!(
            url_shown("https://user:pw@hc.example.com/p?k=secret"),
            " (https://hc.example.com)"
        );
        assert_eq!(url_shown("not a url/secret"), "");
        assert!(parse_ping("htps://hc.example.com/ping/x").is_err());
        assert!(parse_ping("https://hc.example.com/ping/x").is_ok());
    }

    #[test]
    fn styles_are_named_in_the_rule() {
        assert_eq!(parse_style("uptime-kuma"), Ok(Style::UptimeKuma));
        assert_eq!(
            parse_style("kuma"),
            Err("the ping style is one of healthchecks, uptime-kuma".to_owned())
        );
    }
}
