//! The wrapper's rules for a run that exit codes alone misjudge
//! (`--ok-exit-codes`, `--fail-on-stderr`, `--fail-on`, `--ok-on`,
//! `--min-runtime`), and its flags' parsers. [`Rules::verdict`] is the one
//! place that decides how a run ended.

use std::time::Duration;

use regex_automata::{meta, util::syntax};

use crate::history::Run;
use crate::record::{format_duration, parse_size, RunStatus, OUTPUT_MESSAGE_MAX_BYTES, WAIT};
use crate::supervise::watch::Watch;
use crate::supervise::Outcome;
use crate::Error;

/// The most memory a compiled pattern may take, in KiB: matching is linear in it.
const PATTERN_KIB_MAX: usize = 1024;

pub(crate) struct Rules {
    pub(crate) ok_exit_codes: Vec<i32>,
    pub(crate) fail_on_stderr: bool,
    pub(crate) fail_on: Option<Pattern>,
    pub(crate) ok_on: Option<Pattern>,
    /// In seconds.
    pub(crate) min_runtime: Option<u64>,
}

#[derive(Debug)]
pub(crate) struct Pattern {
    pub(crate) text: String,
    pub(crate) regex: meta::Regex,
}

pub(crate) struct Verdict {
    pub(crate) ok: bool,
    /// The rule that failed a run whose exit code alone was success.
    pub(crate) reason: Option<String>,
}

impl Rules {
    pub(crate) fn watch(&self) -> Option<Watch> {
        (self.fail_on_stderr || self.fail_on.is_some() || self.ok_on.is_some()).then(|| {
            let regex = |p: &Option<Pattern>| p.as_ref().map(|p| p.regex.clone());
            Watch::new(regex(&self.fail_on), regex(&self.ok_on))
        })
    }

    /// The exit code first, then the output rules, then the minimum runtime.
    pub(crate) fn verdict(&self, outcome: &Outcome) -> Verdict {
        let ok_code = self.ok_exit_codes.contains(&outcome.exit_code);
        let reason = ok_code.then(|| self.broken(outcome)).flatten();
        Verdict {
            ok: ok_code && reason.is_none(),
            reason,
        }
    }

    /// The first rule a run with a good exit code broke, as its reason.
    fn broken(&self, outcome: &Outcome) -> Option<String> {
        let seen = &outcome.seen;
        let reason = if let (true, Some(line)) = (self.fail_on_stderr, &seen.stderr_line) {
            format!("it printed on stderr (--fail-on-stderr): `{}`", shown(line))
        } else if let (Some(pattern), Some((number, line))) = (&self.fail_on, &seen.failed_at) {
            let (pattern, line) = (shown(&pattern.text), shown(line));
            format!("line {number} matched --fail-on `{pattern}`: `{line}`")
        } else if let (Some(pattern), false) = (&self.ok_on, seen.ok_matched) {
            format!("no line matched --ok-on `{}`", shown(&pattern.text))
        } else {
            let min = (self.min_runtime).filter(|m| outcome.duration < Duration::from_secs(*m))?;
            let (took, min) = (seconds(outcome.duration), format_duration(min));
            format!("finished in {took}, faster than its minimum of {min}")
        };
        Some(reason)
    }
}

pub(crate) fn parse_keep(text: &str) -> Result<usize, Error> {
    let max = OUTPUT_MESSAGE_MAX_BYTES;
    let why = format!(" ({}KiB); use --log for more", max / 1024);
    parse_size(text, max as u64, &why).map(|n| n as usize)
}

/// From 1 second to the longest interval (longer than any period is no bound).
pub(crate) fn parse_max_runtime(text: &str) -> Result<u64, Error> {
    WAIT.at_least(1).parse(text)
}

pub(crate) fn parse_retry(text: &str) -> Result<u32, Error> {
    crate::record::parse_count(text, 0, super::RETRY_MAX)
        .map_err(|rule| Error::invalid("retry count", text, rule.to_string()))
}

/// At least twice the time between progress marks.
pub(crate) fn parse_stall(text: &str) -> Result<u64, Error> {
    WAIT.at_least(2 * crate::supervise::pump::PROGRESS_EVERY.as_secs())
        .parse(text)
}

pub(crate) fn rules(args: &super::Args) -> Result<Rules, Error> {
    let compile =
        |flag: &str, text: &Option<String>| text.as_deref().map(|t| compile(flag, t)).transpose();
    Ok(Rules {
        ok_exit_codes: (args.ok_exit_codes.as_deref())
            .map(crate::record::parse_exit_codes)
            .transpose()?
            .unwrap_or_else(|| vec![0]),
        fail_on_stderr: args.fail_on_stderr,
        fail_on: compile("--fail-on", &args.fail_on)?,
        ok_on: compile("--ok-on", &args.ok_on)?,
        min_runtime: args.min_runtime,
    })
}

/// How many successful runs the learned check of [`fast`] takes.
const USUAL_RUNS: usize = 10;

/// "0.9s, usually 14m": a success in less than a tenth of the median of the
/// last [`USUAL_RUNS`] successful `runs` (oldest first).
pub(crate) fn fast(duration: Duration, runs: &[Run]) -> Option<String> {
    let ok = runs.iter().rev().filter(|r| r.status == RunStatus::Ok);
    let durations = ok.filter_map(|r| r.duration_seconds);
    let mut usual: Vec<f64> = durations.take(USUAL_RUNS).collect();
    if usual.len() < USUAL_RUNS {
        return None;
    }
    let usual = crate::history::median(&mut usual)?;
    (duration.as_secs_f64() < usual / 10.0).then(|| {
        let usual = seconds(Duration::from_secs_f64(usual.min(1e9)));
        format!("{}, usually {usual}", seconds(duration))
    })
}

/// Compiles `--fail-on` or `--ok-on` (`flag`) within the size limit. The lazy
/// DFA keeps its own bound (2 MiB): set to the pattern's, building cost a
/// wrapped run 17% more (hyperfine, `-- true`).
pub(crate) fn compile(flag: &str, pattern: &str) -> Result<Pattern, Error> {
    let limit = Some(PATTERN_KIB_MAX << 10);
    let regex = meta::Regex::builder()
        .syntax(syntax::Config::new().utf8(false))
        .configure(meta::Config::new().utf8_empty(false).nfa_size_limit(limit))
        .build(pattern)
        .map_err(|err| {
            let rule = if err.size_limit().is_some() {
                format!("the compiled pattern would take more than {PATTERN_KIB_MAX} KiB")
            } else {
                // The syntax error ends with its one-line cause.
                let said = err.syntax_error().map(ToString::to_string);
                let mut lines = said.iter().flat_map(|s| s.lines().rev());
                let cause = lines.find_map(|l| l.trim().strip_prefix("error: "));
                cause.unwrap_or("it is not a valid pattern").to_owned()
            };
            Error::Pattern {
                flag: flag.to_owned(),
                pattern: pattern.to_owned(),
                rule,
                source: Box::new(err),
            }
        })?;
    Ok(Pattern {
        text: pattern.to_owned(),
        regex,
    })
}

/// Untrusted text on one line of a reason.
fn shown(text: &str) -> String {
    crate::escape::terminal(text).replace('`', "'")
}

/// `0.8s` below a minute, else as [`format_duration`] says it.
fn seconds(duration: Duration) -> String {
    if duration < Duration::from_secs(60) {
        format!("{:.1}s", duration.as_secs_f64())
    } else {
        format_duration(duration.as_secs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supervise::watch::Seen;

    fn outcome(code: i32, millis: u64, seen: Seen) -> Outcome {
        Outcome {
            duration: Duration::from_millis(millis),
            exit_code: code,
            tail: String::new(),
            note: None,
            log_error: None,
            seen,
        }
    }

    #[test]
    fn each_rule_names_itself_in_the_reason() {
        let rules = Rules {
            ok_exit_codes: vec![0, 24],
            fail_on_stderr: true,
            fail_on: Some(compile("--fail-on", "ERROR").unwrap()),
            ok_on: Some(compile("--ok-on", "^done").unwrap()),
            min_runtime: Some(30),
        };
        let done = Seen {
            ok_matched: true,
            ..Seen::default()
        };
        assert!(rules.verdict(&outcome(24, 40_000, done.clone())).ok);
        assert_eq!(
            rules.verdict(&outcome(23, 40_000, done.clone())).reason,
            None
        );
        let stderr = Seen {
            stderr_line: Some("warning".into()),
            ..done.clone()
        };
        assert_eq!(
            rules.verdict(&outcome(0, 40_000, stderr)).reason.unwrap(),
            "it printed on stderr (--fail-on-stderr): `warning`"
        );
        let error = Seen {
            failed_at: Some((3, "ERROR: disk full".into())),
            ..done.clone()
        };
        assert_eq!(
            rules.verdict(&outcome(0, 40_000, error)).reason.unwrap(),
            "line 3 matched --fail-on `ERROR`: `ERROR: disk full`"
        );
        assert_eq!(
            rules
                .verdict(&outcome(0, 40_000, Seen::default()))
                .reason
                .unwrap(),
            "no line matched --ok-on `^done`"
        );
        assert_eq!(
            rules.verdict(&outcome(0, 800, done)).reason.unwrap(),
            "finished in 0.8s, faster than its minimum of 30s"
        );
    }

    #[test]
    fn a_run_is_fast_below_a_tenth_of_its_usual_after_ten_runs() {
        let run = |status, seconds| Run {
            timestamp: chrono::Utc::now(),
            status,
            exit_code: None,
            duration_seconds: Some(seconds),
            attempts: Vec::new(),
        };
        let mut runs: Vec<Run> = (0..9).map(|_| run(RunStatus::Ok, 840.0)).collect();
        runs.push(run(RunStatus::Fail, 1.0));
        let quick = Duration::from_millis(900);
        assert_eq!(fast(quick, &runs), None, "nine good runs are not enough");
        runs.push(run(RunStatus::Ok, 840.0));
        assert_eq!(fast(quick, &runs).as_deref(), Some("0.9s, usually 14m"));
        assert_eq!(fast(Duration::from_secs(90), &runs), None);
    }

    #[test]
    fn a_bad_or_huge_pattern_is_one_line_naming_it() {
        let err = compile("--fail-on", "ERROR(").unwrap_err().to_string();
        assert_eq!(err, "invalid --fail-on `ERROR(`: unclosed group");
        let err = compile("--ok-on", r"\w{1000}{1000}")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(r"invalid --ok-on `\w{1000}{1000}`: "),
            "{err}"
        );
        assert!(!err.contains('\n'), "{err}");
    }

    #[test]
    fn a_pattern_that_does_not_compile_leads_to_the_regex_error() {
        use std::error::Error as _;
        let err = compile("--fail-on", "ERROR(`").unwrap_err();
        assert!(err
            .source()
            .is_some_and(|e| e.downcast_ref::<meta::BuildError>().is_some()));
        assert_eq!(
            err.to_string(),
            "invalid --fail-on `ERROR('`: unclosed group"
        );
    }
}
