//! The notify options of hb-check and night-watch (parsing only). A
//! destination is checked where it is parsed, and a refusal names it by
//! its scheme and host alone: the rest of a webhook URL is its secret.

use std::time::Duration;

use clap::Args;

use super::Dest;
use crate::cli::parse_timeout;
use crate::http::redact::SecretParser;

/// The destinations, shared by hb-check and night-watch.
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
    pub notify: Vec<DestList>,

    /// HB_NOTIFY, read when no --notify is given.
    #[arg(long = "notify-list", env = "HB_NOTIFY", hide = true, value_parser = LIST, hide_env_values = true)]
    pub notify_env: Option<DestList>,

    /// The most time all destinations of one run may take together
    /// (per-request timeouts and a command's run included).
    #[arg(long, value_name = "DURATION", env = "HB_NOTIFY_TIMEOUT", default_value = "20s", value_parser = parse_budget)]
    pub notify_timeout: Duration,
}

impl Destinations {
    /// The destinations of this run: --notify's, else HB_NOTIFY's.
    pub(crate) fn all(&self) -> Vec<Dest> {
        let env = self.notify_env.iter().filter(|_| self.notify.is_empty());
        let mut all: Vec<Dest> = Vec::new();
        for dest in self.notify.iter().chain(env).flat_map(|list| &list.0) {
            // One state file per destination: a repeated one is sent once.
            if !all.contains(dest) {
                all.push(dest.clone());
            }
        }
        all
    }
}

/// hb-check's notify options.
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
    pub notify_test: Option<DestList>,
}

/// Several destinations, from `HB_NOTIFY`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DestList(pub Vec<Dest>);

fn parse_budget(text: &str) -> Result<Duration, crate::Error> {
    let budget = parse_timeout(text)?;
    let rule = "the notify budget is 1s to 10m";
    let ok = (1..=600).contains(&budget.as_secs());
    ok.then_some(budget)
        .ok_or_else(|| crate::Error::invalid("duration", text, rule))
}

/// Splits `HB_NOTIFY`: destinations separated by white space, an `exec:`
/// one running to the end of its line.
fn split_list(text: &str) -> Vec<&str> {
    let words = regex::Regex::new(r"exec:[^\n]*|\S+").expect("a valid pattern");
    let found = words.find_iter(text);
    found.map(|m| m.as_str().trim_end()).collect()
}

/// The value parser of `--notify DEST` and `--notify-test DEST`.
const ONE: SecretParser<DestList, crate::Error> = SecretParser {
    what: "notify destination",
    parse: |text| Dest::parse(text).map(|dest| DestList(vec![dest])),
};

/// The value parser of `HB_NOTIFY` (see [`split_list`]).
const LIST: SecretParser<DestList, crate::Error> = SecretParser {
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
