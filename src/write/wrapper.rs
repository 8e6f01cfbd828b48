//! The wrapper's flags made into what it runs by: the value parsers of
//! its options and the rules that judge a run beyond its exit code.

use super::wrap;
use crate::record::{parse_size, WAIT};
use crate::supervise::output::KEEP_OUTPUT_MAX;
use crate::Error;

use super::Args;

pub(super) fn parse_keep(text: &str) -> Result<usize, Error> {
    let max = KEEP_OUTPUT_MAX as u64;
    let why = format!(" ({}KiB); use --log for more", KEEP_OUTPUT_MAX / 1024);
    parse_size(text, max, &why).map(|n| n as usize)
}

pub(super) fn parse_log_max(text: &str) -> Result<u64, Error> {
    parse_size(text, u64::MAX, "")
}

/// Parses `--max-runtime`: from 1 second to the longest interval (a run
/// that may take longer than any job's period is no bound).
pub(super) fn parse_max_runtime(text: &str) -> Result<u64, Error> {
    WAIT.at_least(1).parse(text)
}

/// Parses `--retry`: from 0 to the documented maximum.
pub(super) fn parse_retry(text: &str) -> Result<u32, Error> {
    crate::record::parse_count(text, 0, wrap::RETRY_MAX)
        .map_err(|rule| Error::invalid("retry count", text, rule.to_string()))
}

/// Parses `--stall-after`: at least twice the time between progress
/// writes, at most 400 days.
pub(super) fn parse_stall(text: &str) -> Result<u64, Error> {
    WAIT.at_least(2 * wrap::PROGRESS_EVERY.as_secs())
        .parse(text)
}

/// The wrapper's rules from the flags; `Err` is a usage error, one line.
pub(super) fn rules(args: &Args) -> Result<wrap::Rules, Error> {
    let compile = |flag: &str, text: &Option<String>| {
        text.as_deref().map(|t| wrap::compile(flag, t)).transpose()
    };
    Ok(wrap::Rules {
        ok_exit_codes: match &args.ok_exit_codes {
            Some(text) => crate::record::parse_exit_codes(text)?,
            None => Vec::new(),
        },
        fail_on_stderr: args.fail_on_stderr,
        fail_on: compile("--fail-on", &args.fail_on)?,
        ok_on: compile("--ok-on", &args.ok_on)?,
        min_runtime: args.min_runtime,
    })
}
