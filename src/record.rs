//! The heartbeat record (format version 1), the rules and parsers of its values. Pure: no file.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Error;

mod name;
mod value;

pub(crate) use name::*;
pub use value::format_duration;
pub(crate) use value::*;

/// A timestamp further ahead of the reader's clock than this is invalid (a skewed clock would
/// otherwise hide a dead job); a pause that starts further ahead has not begun.
pub(crate) const FUTURE_TOLERANCE_SECONDS: i64 = 300;

pub(crate) const FORMAT_VERSION: u32 = 1;

/// The most jobs one job may `--needs`: small records, a short walk whatever a planted one lists.
pub(crate) const MAX_NEEDS: usize = 32;

pub(crate) const MESSAGE_MAX_BYTES: usize = 1024;

/// A wrapped job's output tail kept as `message`: below a reader's 64 KiB even escaped six-fold.
pub(crate) const OUTPUT_MESSAGE_MAX_BYTES: usize = 8 * 1024;

/// A wrapped run's limit without `--max-runtime` (factor x interval, at most 400 days): the one
/// the wrapper's `--kill-after` and the checker's "hung" both take.
pub(crate) fn default_max_runtime(factor: f64, interval_seconds: u64) -> u64 {
    (factor * interval_seconds as f64).min(INTERVAL_MAX as f64) as u64
}

/// How the run that wrote the heartbeat ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// The job finished and reported success.
    Ok,
    /// The job finished and reported failure.
    Fail,
    /// The job is running under the wrapper (`hb-write ... -- CMD`).
    Running,
}

impl RunStatus {
    /// The word used in the file and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Ok => "ok",
            RunStatus::Fail => "fail",
            RunStatus::Running => "running",
        }
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A record struct whose fields after `optional:` are left out while empty, empty when missing.
macro_rules! record {
    ($(#[$meta:meta])* pub struct $name:ident {
        $($(#[$fixed_meta:meta])* pub $fixed:ident: $fixed_type:ty,)*
        optional: $($(#[$opt_meta:meta])* pub $opt:ident: $opt_type:ty,)*
    }) => {
        $(#[$meta])*
        pub struct $name {
            $($(#[$fixed_meta])* pub $fixed: $fixed_type,)*
            $($(#[$opt_meta])*
            #[serde(default, skip_serializing_if = "is_empty")]
            pub $opt: $opt_type,)*
        }

        impl $name {
            /// The record of the fields before `optional:`, every optional one empty.
            fn of_fixed($($fixed: $fixed_type),*) -> $name {
                $name { $($fixed,)* $($opt: Default::default(),)* }
            }
        }
    };
}

fn is_empty<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// The attempt a retried run's record reports (`hb-write --retry`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// This attempt, from 1.
    pub number: u32,
    /// The most attempts the run had (`--retry N` gives N + 1).
    pub of: u32,
}

record! {
/// One heartbeat: the content of `<dir>/<job>.last`.
///
/// Readers ignore fields they do not know, so later versions of the format
/// can add fields without breaking older readers. [`Heartbeat::new`] is
/// the one way to make one (no `Default`: an empty job name is no record).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Heartbeat {
    /// Format version; always `FORMAT_VERSION` when written by this crate.
    pub version: u32,
    /// The job name, the same as the file name without `.last`.
    pub job: String,
    /// When the heartbeat was written, RFC 3339, stored in UTC.
    #[serde(serialize_with = "rfc3339_seconds", deserialize_with = "rfc3339_any")]
    pub timestamp: DateTime<Utc>,
    /// How often the job is expected to report, in seconds.
    pub interval_seconds: u64,
    /// The host that wrote the heartbeat.
    pub host: String,
    /// The process id of the writer.
    pub pid: u32,
    /// How the run ended.
    pub status: RunStatus,
    optional:
    /// The job's exit code, when the writer knew it.
    pub exit_code: Option<i32>,
    /// How long the run took, in seconds.
    pub duration_seconds: Option<f64>,
    /// A short note from the job (at most 1 KiB) or, from the wrapper, the
    /// tail of the job's output (at most 8 KiB).
    pub message: Option<String>,
    /// When the wrapped run started, RFC 3339 in UTC.
    #[serde(with = "rfc3339_opt")]
    pub started_at: Option<DateTime<Utc>>,
    /// How many runs in a row failed, counting this one: 0 after a success.
    pub consecutive_failures: Option<u32>,
    /// The longest a wrapped run may take before it counts as hung, in seconds.
    pub max_runtime_seconds: Option<u64>,
    /// When the job is scheduled (`hb-write --schedule`): cron's five fields
    /// or a macro such as `@daily`, for jobs whose crontab no checker reads.
    pub schedule: Option<String>,
    /// The wrapper's rule that failed a run its exit code calls a success.
    pub reason: Option<String>,
    /// A success far faster than usual (wrapper): "0.9s, usually 14m".
    pub fast: Option<String>,
    /// Which attempt of how many this record reports (`--retry`).
    pub attempt: Option<Attempt>,
    /// Running: the seconds without output before a stall (`--stall-after`).
    pub stall_after_seconds: Option<u64>,
    /// Running: when it last printed or was kept alive, as a scan reads it
    /// from the file's modification time (never written to the file).
    #[serde(with = "rfc3339_opt")]
    pub progress_at: Option<DateTime<Utc>>,
    /// In a `running` record: how the job's previous finished run ended
    /// (boxed: most records have none).
    pub last: Option<Box<LastRun>>,
    /// The jobs this one needs (`hb-write --needs`): while one of them is
    /// bad, this job's own trouble is shown as blocked under it.
    pub needs: Vec<String>,
}
}

impl Heartbeat {
    /// A record of `job` written now by this process on this host, with
    /// `status` and nothing else said; callers add the rest with struct
    /// update syntax (`Heartbeat { exit_code, ..Heartbeat::new(..) }`).
    pub fn new(job: &str, interval_seconds: u64, status: RunStatus) -> Heartbeat {
        Heartbeat::of_fixed(
            FORMAT_VERSION,
            job.to_owned(),
            Utc::now(),
            interval_seconds,
            crate::hostname(),
            std::process::id(),
            status,
        )
    }

    /// Serialises the record as one line of JSON followed by a newline.
    pub fn to_json_line(&self) -> Vec<u8> {
        json_line(self)
    }

    /// Parses a record and checks what serde alone cannot: the version and
    /// the job name and interval rules.
    pub fn from_json(bytes: &[u8]) -> Result<Heartbeat, Error> {
        let record: Heartbeat =
            serde_json::from_slice(bytes).map_err(|e| Error::rule_from(json_reason(&e), e))?;
        record.checked().map_err(Error::rule)
    }

    fn checked(self) -> Result<Heartbeat, String> {
        check_version("format", self.version, FORMAT_VERSION)?;
        validate_job(&self.job).map_err(|e| e.to_string())?;
        validate_host(&self.host).map_err(|reason| {
            let host = crate::escape::terminal(&self.host);
            format!("host `{host}` is not a host name: {reason}")
        })?;
        // As --max-runtime: a longer one would keep a hung run `running`.
        let seconds = [
            ("interval_seconds", Some(self.interval_seconds)),
            ("max_runtime_seconds", self.max_runtime_seconds),
        ];
        for (field, value) in seconds {
            if let Some(value) = value.filter(|v| !(INTERVAL_MIN..=INTERVAL_MAX).contains(v)) {
                let max = say(INTERVAL_MAX);
                return Err(format!("{field} {value} is outside 1 second to {max}"));
            }
        }
        // As hb-write --needs takes them.
        if self.needs.len() > MAX_NEEDS {
            let count = self.needs.len();
            return Err(format!(
                "`needs` names {count} jobs; a job may need at most {MAX_NEEDS}"
            ));
        }
        for need in &self.needs {
            validate_job(need).map_err(|e| format!("`needs`: {e}"))?;
        }
        match &self.last {
            Some(last) if last.status == RunStatus::Running => {
                Err("`last.status` is `running`; a finished run is `ok` or `fail`".to_owned())
            }
            _ => Ok(self),
        }
    }
}

/// Refuses a record of a `what` version this reader does not know.
pub(crate) fn check_version(what: &str, version: u32, known: u32) -> Result<(), String> {
    if version == known {
        return Ok(());
    }
    Err(format!(
        "{what} version {version} is not supported (this reader knows version {known})"
    ))
}

/// A refusal in words one can act on: `not JSON (line 1, column 2)`, not `expected ident`.
fn json_reason(err: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let (line, column) = (err.line(), err.column());
    match err.classify() {
        Category::Syntax => format!("not JSON (line {line}, column {column})"),
        Category::Eof => format!("not JSON: it ends early (line {line}, column {column})"),
        Category::Io | Category::Data => {
            let text = err.to_string();
            let at = format!(" at line {line} column {column}");
            let text = text.strip_suffix(&at).unwrap_or(&text);
            let field = text.strip_prefix("missing field `");
            match field.and_then(|f| f.strip_suffix('`')) {
                Some(field) => format!("field `{field}` missing"),
                None => text.to_owned(),
            }
        }
    }
}

/// `value` as a JSON line: the form of every file written (heartbeat, run, pause, state, cache).
pub(crate) fn json_line(value: &impl Serialize) -> Vec<u8> {
    // Only plain structs with string keys go through here.
    let mut line = serde_json::to_vec(value).expect("a record always serialises");
    line.push(b'\n');
    line
}

/// Cuts `text` to at most `max` bytes without splitting a UTF-8 character.
pub(crate) fn cut(text: &str, max: usize) -> &str {
    let end = (0..=max.min(text.len())).rfind(|&i| text.is_char_boundary(i));
    &text[..end.unwrap_or(0)]
}

record! {
/// How the last finished run ended, in a `running` record: a run in progress
/// never hides a failure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LastRun {
    /// `ok` or `fail`; never `running`.
    pub status: RunStatus,
    /// When that run reported, RFC 3339, stored in UTC.
    #[serde(serialize_with = "rfc3339_seconds", deserialize_with = "rfc3339_any")]
    pub timestamp: DateTime<Utc>,
    optional:
    /// Its exit code, when known.
    pub exit_code: Option<i32>,
    /// How long it took, in seconds.
    pub duration_seconds: Option<f64>,
    /// The message it left.
    pub message: Option<String>,
    /// How many runs in a row had failed, that one included.
    pub consecutive_failures: Option<u32>,
}
}

impl LastRun {
    /// The last finished run `previous` (the job's record before a new run
    /// starts) tells of: the run it reports, or, for a `running` record
    /// left by a run that never ended, the run that one carried.
    pub fn of(previous: &Heartbeat) -> Option<Box<LastRun>> {
        if previous.status == RunStatus::Running {
            return previous.last.clone();
        }
        Some(Box::new(LastRun {
            exit_code: previous.exit_code,
            duration_seconds: previous.duration_seconds,
            message: previous.message.clone(),
            consecutive_failures: previous.consecutive_failures,
            ..LastRun::of_fixed(previous.status, previous.timestamp)
        }))
    }
}

#[allow(clippy::large_enum_variant)] // Boxing: one allocation per record.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Content {
    Record(Heartbeat),
    /// An empty file (a plain `touch`), with its modification time.
    Empty {
        modified: DateTime<Utc>,
    },
}

/// One heartbeat file as a scan found it: what the judge takes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    /// The file (or, for an unreadable subdirectory, the directory).
    pub path: std::path::PathBuf,
    /// The job, from the file name.
    pub job: String,
    /// Below the heartbeat directory (`hosts/<host>/`), if any.
    pub subdir: Option<String>,
    pub content: Result<Content, String>,
}

/// An instant as every file and message writes one: RFC 3339 to the second in UTC
/// (`2026-11-22T05:00:00Z`); read with any offset ([`rfc3339_any`]).
pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub(crate) fn rfc3339_seconds<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(*t))
}

pub(crate) fn rfc3339_any<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    let text = String::deserialize(d)?;
    DateTime::parse_from_rfc3339(&text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| serde::de::Error::custom(format!("timestamp `{text}` is not RFC 3339: {e}")))
}

/// Optional timestamps, written as [`rfc3339_seconds`], read as [`rfc3339_any`].
pub(crate) mod rfc3339_opt {
    use super::{rfc3339_any, rfc3339_seconds, DateTime, Deserializer, Serializer, Utc};

    type Time = Option<DateTime<Utc>>;

    #[allow(clippy::ref_option, reason = "the signature serde's `with` calls")]
    pub(crate) fn serialize<S: Serializer>(t: &Time, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => rfc3339_seconds(t, s),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Time, D::Error> {
        rfc3339_any(d).map(Some)
    }
}

#[cfg(test)]
mod tests;
