//! The notify options (parsing only) and a destination, shown (a refusal
//! too) only by its scheme and host: the rest of a webhook URL is its secret.

use std::time::Duration;

use clap::Args;

use crate::cli::parse_timeout;
use crate::error::Error;
use crate::http;
use crate::http::redact::SecretParser;

/// The URL it is sent to, or a command's words.
#[derive(Clone, PartialEq, Eq)]
pub(super) enum Kind {
    Webhook(String),
    Ntfy(String),
    Slack(String),
    Discord(String),
    Exec(Vec<String>),
}

/// Its `Debug` shows only what output may: see [`Dest::shown`].
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Dest {
    pub(super) given: String,
    pub(super) kind: Kind,
}

impl std::fmt::Debug for Dest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Dest({})", self.shown())
    }
}

/// A scheme a destination may have, the one it is sent with, its kind.
type Scheme = (&'static str, &'static str, fn(String) -> Kind);

const SCHEMES: &[Scheme] = &[
    ("https://", "https://", Kind::Webhook),
    ("http://", "http://", Kind::Webhook),
    ("ntfys://", "https://", Kind::Ntfy),
    ("ntfy://", "http://", Kind::Ntfy),
    ("slack+https://", "https://", Kind::Slack),
    ("slack+http://", "http://", Kind::Slack),
    ("discord+https://", "https://", Kind::Discord),
];

impl Dest {
    pub(crate) fn parse(text: &str) -> Result<Dest, Error> {
        let given = text.trim().to_owned();
        if let Some(command) = given.strip_prefix("exec:") {
            let words = crate::schedule::command::words(command).ok_or_else(|| Error::rule(
                "invalid notify destination `exec:`: no shell runs it, so `;`, `&`, `|`, `(`, `)` and line breaks cannot be used",
            ))?;
            let none = "invalid notify destination `exec:`: it names no command";
            if words.is_empty() {
                return Err(Error::rule(none));
            }
            let kind = Kind::Exec(words);
            return Ok(Dest { given, kind });
        }
        let rule = |why: &str| format!("invalid notify destination {}: {why}", http::shown(&given));
        let lower = given.to_ascii_lowercase();
        let found = (SCHEMES.iter()).find(|(prefix, _, _)| lower.starts_with(prefix));
        let (prefix, scheme, kind) = found.ok_or_else(|| {
            Error::rule(rule("give a URL of one of the schemes http, https, ntfy, ntfys, slack+http, slack+https, discord+https, or exec:COMMAND"))
        })?;
        let url = format!("{scheme}{}", &given[prefix.len()..]);
        let url = url::Url::parse(&url).map_err(|e| Error::rule_from(rule(&e.to_string()), e))?;
        let topic = url.path().trim_start_matches('/');
        let topic_char = |b: u8| b.is_ascii_alphanumeric() || b"-_".contains(&b);
        let topic_ok = (1..=64).contains(&topic.len()) && topic.bytes().all(topic_char);
        let why = if url.host_str().is_none_or(str::is_empty) {
            "it has no host"
        } else if !url.username().is_empty() || url.password().is_some() {
            "it must not carry a user name or password (ntfy: set HB_NTFY_TOKEN or HB_NTFY_TOKEN_FILE)"
        } else if prefix.starts_with("ntfy") && (!topic_ok || url.query().is_some()) {
            "an ntfy topic (the URL's path) is 1 to 64 letters, digits, `-` or `_`"
        } else {
            let kind = kind(url.into());
            return Ok(Dest { given, kind });
        };
        Err(Error::rule(rule(why)))
    }

    /// A URL's scheme and host, a command's name.
    pub(crate) fn shown(&self) -> String {
        match &self.kind {
            Kind::Exec(words) => format!("exec:{}", crate::report::content::cut(&words[0], 100)),
            _ => http::shown(&self.given),
        }
    }
}

#[derive(Debug, Clone, Args)]
pub(crate) struct Destinations {
    /// Send a message to DEST when jobs go bad, change, recover, and as a
    /// reminder (night-watch: the morning summary); repeat for several.
    /// DEST is a webhook `https://...` (JSON), `ntfy://HOST/TOPIC` or
    /// `ntfys://HOST/TOPIC` (token in HB_NTFY_TOKEN or HB_NTFY_TOKEN_FILE),
    /// `slack+https://...` (Slack, Mattermost, Rocket.Chat),
    /// `discord+https://...`, or `exec:COMMAND ARGS...` (no shell; the JSON
    /// on stdin). HB_NOTIFY holds several, separated by white space; an
    /// `exec:` one takes the rest of its line. See "Where alerts go" in the
    /// README.
    #[arg(long = "notify", value_name = "DEST", value_parser = ONE)]
    pub notify: Vec<Dest>,

    /// HB_NOTIFY, read when no --notify is given.
    #[arg(long = "notify-list", env = "HB_NOTIFY", hide = true, value_parser = LIST, hide_env_values = true)]
    pub notify_env: Option<DestList>,

    /// The most time all destinations of one run may take together
    /// (per-request timeouts and a command's run included).
    #[arg(long, value_name = "DURATION", env = "HB_NOTIFY_TIMEOUT", default_value = "20s", value_parser = parse_budget)]
    pub notify_timeout: Duration,
}

impl Destinations {
    /// --notify's, else HB_NOTIFY's.
    pub(crate) fn all(&self) -> Vec<Dest> {
        let env = self.notify_env.iter().filter(|_| self.notify.is_empty());
        let mut seen = std::collections::HashSet::new();
        // One state file per destination: a repeated one is sent once.
        let all = self.notify.iter().chain(env.flat_map(|list| &list.0));
        all.filter(|d| seen.insert(&d.given)).cloned().collect()
    }
}

#[derive(Debug, Clone, Args)]
pub(crate) struct NotifyArgs {
    #[command(flatten)]
    pub dests: Destinations,

    /// Send a reminder after this long while something stays bad (at most
    /// 400 days).
    #[arg(long, value_name = "DURATION", env = "HB_NOTIFY_REMIND", default_value = "24h", value_parser = parse_timeout)]
    pub notify_remind: Duration,

    /// Send one test message to DEST, print what it answered, and exit: 0
    /// when it took the message, 3 when not. Reads no heartbeat.
    #[arg(long, value_name = "DEST", value_parser = ONE)]
    pub notify_test: Option<Dest>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DestList(pub Vec<Dest>);

fn parse_budget(text: &str) -> Result<Duration, Error> {
    let budget = parse_timeout(text)?;
    let bad = || Error::invalid("duration", text, "the notify budget is 1s to 10m");
    let ok = (1..=600).contains(&budget.as_secs());
    ok.then_some(budget).ok_or_else(bad)
}

/// White space parts destinations; an `exec:` one runs to its line's end.
fn split_list(text: &str) -> Vec<&str> {
    let words = regex::Regex::new(r"exec:[^\n]*|\S+").expect("a valid pattern");
    let found = words.find_iter(text);
    found.map(|m| m.as_str().trim_end()).collect()
}

const ONE: SecretParser<Dest, Error> = SecretParser {
    what: "notify destination",
    parse: Dest::parse,
};

const LIST: SecretParser<DestList, Error> = SecretParser {
    what: "notify destination",
    parse: |text| {
        let dests = split_list(text).into_iter().map(Dest::parse);
        dests.collect::<Result<_, _>>().map(DestList)
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_parses_and_shows_only_scheme_and_host() {
        let cases = [
            (
                "https://hooks.example/services/T0/B0/XX",
                "https://hooks.example/services/T0/B0/XX",
                "https://hooks.example",
            ),
            (
                "ntfy://ntfy.lan:8080/alerts",
                "http://ntfy.lan:8080/alerts",
                "ntfy://ntfy.lan:8080",
            ),
            (
                "ntfys://ntfy.sh/my-alerts_1",
                "https://ntfy.sh/my-alerts_1",
                "ntfys://ntfy.sh",
            ),
            (
                "slack+https://hooks.slack.com/services/T/B/X",
                "https://hooks.slack.com/services/T/B/X",
                "slack+https://hooks.slack.com",
            ),
            (
                "discord+https://discord.com/api/webhooks/1/tok",
                "https://discord.com/api/webhooks/1/tok",
                "discord+https://discord.com",
            ),
        ];
        for (given, url, shown) in cases {
            let dest = Dest::parse(given).unwrap();
            let sent = match &dest.kind {
                Kind::Webhook(u) | Kind::Ntfy(u) | Kind::Slack(u) | Kind::Discord(u) => u.clone(),
                Kind::Exec(_) => panic!("{given}"),
            };
            assert_eq!(sent, url);
            assert_eq!(dest.shown(), shown);
            assert_eq!(format!("{dest:?}"), format!("Dest({shown})"));
        }
        let exec = Dest::parse("exec:apprise -t '$TITLE x' \"a b\" c\\ d").unwrap();
        let Kind::Exec(words) = &exec.kind else {
            panic!("an exec destination");
        };
        assert_eq!(words, &["apprise", "-t", "$TITLE x", "a b", "c d"]);
        assert_eq!(exec.shown(), "exec:apprise");
    }

    #[test]
    fn refusals_name_the_rule_and_never_the_secret() {
        for (given, rule) in [
            ("ftp://h/x/SECRET", "one of the schemes http, https"),
            ("hooks.example/SECRET", "one of the schemes http, https"),
            ("https://u:SECRET@h/x", "user name or password"),
            ("ntfy://h/a/SECRET", "is 1 to 64 letters"),
            ("ntfy://h/", "is 1 to 64 letters"),
            ("discord+http://h/SECRET", "one of the schemes http, https"),
            ("exec:", "names no command"),
            ("exec:a SECRET | b", "no shell"),
        ] {
            let why = Dest::parse(given).unwrap_err().to_string();
            assert!(why.contains(rule), "{given}: {why}");
            assert!(!why.contains("SECRET"), "{given}: {why}");
        }
    }

    #[test]
    fn the_list_splits_at_white_space_and_exec_takes_its_line() {
        assert_eq!(
            split_list(" https://a/x\tntfy://h/t \nexec:apprise -t $TITLE  \nslack+https://s/y"),
            [
                "https://a/x",
                "ntfy://h/t",
                "exec:apprise -t $TITLE",
                "slack+https://s/y"
            ]
        );
        assert!(split_list(" \n ").is_empty());
    }
}
