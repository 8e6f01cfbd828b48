//! What the binaries share on the command line: argument parsing with
//! one-line usage errors, the options that choose and judge heartbeats, the
//! tracker options, and value parsers.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::error::ErrorKind;
use clap::{Args, Parser};

use crate::record::{parse_factor, parse_interval, parse_now, parse_switch, validate_job, WAIT};
use crate::tracker;
use crate::Error;

/// Parses the command line. `--help` and `--version` print and exit 0; a
/// usage error prints one line, `<program>: <what is wrong>`, and exits with
/// `usage_code`.
pub fn parse<T: Parser>(program: &str, usage_code: u8) -> Result<T, ExitCode> {
    forget_empty_settings();
    T::try_parse().map_err(|err| {
        let text = match err.kind() {
            ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                let _ = err.print();
                return ExitCode::SUCCESS;
            }
            ErrorKind::InvalidUtf8 => not_utf8(std::env::args_os()),
            _ => one_line(&err.render().to_string()),
        };
        // What the user typed may hold a ping URL's secret.
        let text = crate::http::hide_urls(&text);
        eprintln!("{program}: {text} (see `{program} --help`)");
        ExitCode::from(usage_code)
    })
}

/// Clap's message on one line: the error and its tips (`a similar argument
/// exists: '--verbose'`), without the usage block clap repeats below.
fn one_line(rendered: &str) -> String {
    let block = ["Usage:", "For more information"];
    let parts: Vec<String> = rendered
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty() && !block.iter().any(|b| p.starts_with(b)))
        .map(|p| p.lines().map(str::trim).collect::<Vec<_>>().join(" "))
        .collect();
    let text = parts.join("; ");
    text.strip_prefix("error: ").unwrap_or(&text).to_owned()
}

/// Names the first argument that is not UTF-8, for the usage error clap leaves vague.
fn not_utf8(args: impl IntoIterator<Item = std::ffi::OsString>) -> String {
    let mut args = args.into_iter().enumerate().skip(1);
    let Some((n, arg)) = args.find(|(_, a)| a.to_str().is_none()) else {
        return "an argument is not valid UTF-8".to_owned();
    };
    let shown = crate::escape::terminal(&arg.to_string_lossy()).into_owned();
    format!("argument {n} `{shown}` is not valid UTF-8 (shown with the bad bytes replaced)")
}

/// Unsets every empty `HB_*` variable (`HB_DIR=` in a crontab or an
/// `EnvironmentFile=` means the default, not a usage error). Called while
/// the process has one thread, before anything reads the environment.
fn forget_empty_settings() {
    // `vars_os` is a snapshot: removing while iterating is sound.
    for (key, value) in std::env::vars_os() {
        if key.to_str().is_some_and(|k| k.starts_with("HB_"))
            && value.to_str().is_some_and(|v| v.trim().is_empty())
        {
            std::env::remove_var(key);
        }
    }
}

/// The options that choose and judge heartbeats, shared by hb-check and
/// night-watch.
#[derive(Debug, Clone, Args)]
pub(crate) struct JudgeArgs {
    /// Heartbeat directory to read; repeat for several (in HB_DIR, separate
    /// them with `:`). [default: every one of /var/lib/cron-heartbeat and
    /// $XDG_STATE_HOME/cron-heartbeat that exists]
    #[arg(
        long = "dir",
        value_name = "DIR",
        env = "HB_DIR",
        value_delimiter = ':'
    )]
    pub dirs: Vec<PathBuf>,

    /// A job is stale when silent for more than FACTOR x its interval; must
    /// be greater than 1.
    #[arg(long, value_name = "F", env = "HB_FACTOR", default_value = "2", value_parser = parse_factor)]
    pub factor: f64,

    /// A job that must have a heartbeat; without one it is `missing`. Repeat
    /// for several (in HB_EXPECT, separate them with `,`). JOB is this
    /// host's (--host); HOST/JOB is another host's, or a user's job.
    #[arg(long, value_name = "JOB", env = "HB_EXPECT", value_delimiter = ',', value_parser = parse_job)]
    pub expect: Vec<String>,

    /// Judge an empty heartbeat file (a plain `touch`) by its modification
    /// time with this interval; without it an empty file is `invalid`.
    #[arg(long, value_name = "INTERVAL", env = "HB_DEFAULT_INTERVAL", value_parser = parse_interval)]
    pub default_interval: Option<u64>,

    /// A failed job alerts once its last N runs have all failed; before
    /// that it is `failing`, a warning. Counted from the heartbeat where the
    /// writer recorded it, else from the job's history.
    #[arg(long, value_name = "N", env = "HB_ALERT_AFTER", default_value = "1", value_parser = parse_alert_after)]
    pub alert_after: u32,

    /// Judge as of this instant (RFC 3339) instead of now: reproducible
    /// reports, or "what would have fired at 03:00".
    #[arg(long, value_name = "RFC3339", env = "HB_NOW", value_parser = parse_now)]
    pub now: Option<DateTime<Utc>>,

    /// The host this check is for: an expected JOB without HOST/ is this
    /// host's, and the alert issue, the heading and the run lock are this
    /// host's. [default: this machine's host name]
    #[arg(long, value_name = "NAME", env = "HB_HOST", value_parser = parse_host)]
    pub host: Option<String>,

    /// JOB must be ok on at least N hosts: below N, one CRITICAL alert for
    /// the job across hosts; at or above, its bad hosts only warn. Repeat
    /// for several (in HB_QUORUM, separate them with `,`).
    #[arg(long, value_name = "JOB=N", env = "HB_QUORUM", value_delimiter = ',', value_parser = crate::fleet::parse_quorum)]
    pub quorum: Vec<crate::fleet::Quorum>,

    #[command(flatten)]
    pub schedule: crate::expect::ScheduleArgs,

    #[command(flatten)]
    pub timers: crate::timers::TimerArgs,
}

impl JudgeArgs {
    /// The host this check is for: `--host`, else this machine's name.
    pub(crate) fn host(&self) -> String {
        self.host.clone().unwrap_or_else(crate::hostname)
    }
}

/// The issue-tracker options of hb-check. The token is never a flag (the
/// command line is visible to every user): it comes from `HB_TRACKER_TOKEN`
/// or from a file only its owner can read.
#[derive(Debug, Clone, Args)]
pub(crate) struct TrackerArgs {
    /// Keep one alert issue per host in this tracker: the server URL for
    /// Gitea and Forgejo (`https://git.example.com`), the API base for
    /// GitHub (`https://api.github.com` or `https://HOST/api/v3`). Without
    /// it hb-check only judges.
    #[arg(long, value_name = "URL", env = "HB_TRACKER_URL")]
    pub tracker_url: Option<String>,

    /// The repo that holds the alert issues, as OWNER/NAME.
    #[arg(long, value_name = "OWNER/NAME", env = "HB_TRACKER_REPO")]
    pub tracker_repo: Option<String>,

    /// Which API the tracker speaks.
    #[arg(
        long,
        value_enum,
        value_name = "KIND",
        env = "HB_TRACKER_KIND",
        default_value = "gitea"
    )]
    pub tracker_kind: tracker::Kind,

    /// Read the tracker token from this file, which only its owner may read
    /// (chmod 600). Wins over HB_TRACKER_TOKEN.
    #[arg(long, value_name = "PATH", env = "HB_TRACKER_TOKEN_FILE")]
    pub tracker_token_file: Option<PathBuf>,

    /// The label on every alert issue; created in the repo when missing.
    #[arg(
        long,
        value_name = "NAME",
        env = "HB_TRACKER_LABEL",
        default_value = "heartbeat"
    )]
    pub tracker_label: String,

    /// How long each tracker request may take, from connecting to the last
    /// byte of the answer (1s to 2m); a whole sync may take six times this,
    /// at least a minute.
    #[arg(long, value_name = "DURATION", env = "HB_TRACKER_TIMEOUT", default_value = "10s", value_parser = parse_request_timeout)]
    pub tracker_timeout: std::time::Duration,

    /// While the host's issue stays open, add one reminder comment per
    /// DURATION since it opened (1s to 400d; `24h`, `3d`), naming how long
    /// each job has been bad. Off by default.
    #[arg(long, value_name = "DURATION", env = "HB_TRACKER_REMIND", value_parser = parse_interval)]
    pub tracker_remind: Option<u64>,

    /// Read the tracker and write to standard error what would be sent,
    /// but send no write request.
    #[arg(long, env = "HB_DRY_RUN", value_parser = parse_switch)]
    pub dry_run: bool,
}

/// An expected job (`--expect`), trimmed (`HB_EXPECT="backup, billing"`):
/// `JOB`, or `HOST/JOB`, `USER/JOB`, each part by the naming rule; `timer:NAME`
/// (a user's: `USER/timer:NAME`) is a systemd timer, NAME by systemd's rule.
pub(crate) fn parse_job(text: &str) -> Result<String, Error> {
    let text = text.trim();
    let (user, job) = (text.split_once('/')).map_or((None, text), |(u, j)| (Some(u), j));
    user.map_or(Ok(()), validate_job)?;
    match job.strip_prefix("timer:") {
        Some(unit) => crate::timers::check_timer_name(unit)?,
        None => validate_job(job)?,
    }
    Ok(text.to_owned())
}

pub(crate) fn parse_host(text: &str) -> Result<String, Error> {
    let shown = crate::escape::terminal(text);
    crate::record::validate_host(text)
        .map_err(|reason| Error::rule(format!("`{shown}` is not a host name: {reason}")))?;
    Ok(text.to_owned())
}

/// A timeout (`--lock-timeout`, `--remind`): seconds or units, `0` to 400 days.
pub(crate) fn parse_timeout(text: &str) -> Result<std::time::Duration, Error> {
    WAIT.parse(text).map(std::time::Duration::from_secs)
}

/// A per-request tracker timeout, within [`tracker::check_timeout`] (1s to 2m).
pub(crate) fn parse_request_timeout(text: &str) -> Result<std::time::Duration, Error> {
    let any = crate::record::Span {
        max: u64::MAX,
        ..WAIT
    };
    tracker::check_timeout(std::time::Duration::from_secs(any.parse(text)?))
        .map_err(|reason| Error::invalid("duration", text, reason.to_string()))
}

/// `--alert-after`: from 1 to the runs a history keeps.
pub(crate) fn parse_alert_after(text: &str) -> Result<u32, Error> {
    let most = u32::try_from(crate::history::HISTORY_MAX).unwrap_or(u32::MAX);
    crate::record::parse_count(text, 1, most)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_jobs_may_name_a_users_area() {
        assert_eq!(parse_job("backup").unwrap(), "backup");
        assert_eq!(parse_job("alice/backup").unwrap(), "alice/backup");
        assert_eq!(parse_job(" billing ").unwrap(), "billing");
        assert_eq!(parse_job("timer:certbot").unwrap(), "timer:certbot");
        assert_eq!(parse_job("alice/timer:a@b").unwrap(), "alice/timer:a@b");
        for bad in [
            "alice/",
            "/backup",
            "a/b/c",
            "../backup",
            ".x/backup",
            "timer:",
            "timer:a b",
        ] {
            assert!(parse_job(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn clap_errors_keep_their_tip_on_one_line() {
        let rendered = "error: unexpected argument '--verbos' found\n\n  tip: a similar argument exists: '--verbose'\n\nUsage: hb-check [OPTIONS]\n\nFor more information, try '--help'.\n";
        assert_eq!(
            one_line(rendered),
            "unexpected argument '--verbos' found; tip: a similar argument exists: '--verbose'"
        );
    }

    #[test]
    fn the_argument_that_is_not_utf8_is_named() {
        use std::os::unix::ffi::OsStringExt;
        let args = ["hb-write", "--message"]
            .map(std::ffi::OsString::from)
            .into_iter()
            .chain([std::ffi::OsString::from_vec(b"b\xffd".to_vec())]);
        assert_eq!(
            not_utf8(args),
            "argument 2 `b\u{fffd}d` is not valid UTF-8 (shown with the bad bytes replaced)"
        );
    }

    #[test]
    fn now_takes_rfc3339_with_any_offset() {
        let t = parse_now("2026-11-22T04:00:00+01:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-22T03:00:00+00:00");
        assert!(parse_now("yesterday").is_err());
        let err = parse_now("2026-11-22T03:00:00").unwrap_err().to_string();
        assert!(err.contains("has no time zone"), "{err}");
        assert!(err.contains("2026-11-22T03:00:00Z"), "{err}");
    }

    #[test]
    fn timeouts_accept_zero_and_units() {
        assert_eq!(parse_timeout("0").unwrap(), std::time::Duration::ZERO);
        assert_eq!(
            parse_timeout("1m").unwrap(),
            std::time::Duration::from_secs(60)
        );
        assert!(parse_timeout("soon").is_err());
        assert_eq!(
            parse_timeout("400d").unwrap(),
            std::time::Duration::from_secs(crate::record::INTERVAL_MAX)
        );
        assert_eq!(
            parse_timeout("401d").map_err(|e| e.to_string()),
            Err("invalid duration `401d`: it must be at most 400 days".to_owned())
        );
        assert!(parse_timeout("99999999999999999999").is_err());
        assert!(parse_request_timeout("0").is_err());
        // The tracker's own, tighter bound is the one it names.
        let long = parse_request_timeout("401d").unwrap_err().to_string();
        assert!(long.contains("at most 120s"), "{long}");
        assert_eq!(
            parse_request_timeout("1s").map_err(|e| e.to_string()),
            Ok(std::time::Duration::from_secs(1))
        );
    }
}
