//! The names a record carries: a job's, a host's, and a user's job's judged name. Pure.

use crate::error::Error;

const JOB_NAME_MAX: usize = 128;

const HOST_NAME_MAX: usize = 253;

/// The part of the host name rule `host` breaks; the rule (dot-separated labels of
/// letters, digits, `-`, `_`) keeps it safe as a label, a file name and a line.
pub(crate) fn validate_host(host: &str) -> Result<(), &'static str> {
    let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_');
    let broken = match host {
        "" => Some("it is empty"),
        _ if host.len() > HOST_NAME_MAX => Some("it is longer than 253 characters"),
        _ => host.split('.').find_map(|label| match label {
            "" => Some("it has an empty label (two dots, or a dot at an end)"),
            _ if label.len() > 63 => Some("a label is longer than 63 characters"),
            _ if label.starts_with('-') => Some("a label starts with `-`"),
            _ if !label.bytes().all(allowed) => {
                Some("only letters, digits, `-`, `_` and `.` are allowed")
            }
            _ => None,
        }),
    };
    broken.map_or(Ok(()), Err)
}

/// The name a job of `user`'s crontab is judged by: `USER/JOB`, as its heartbeat lands in
/// `users/USER/JOB.last`; root's jobs, and jobs of no known user, keep their plain name.
pub(crate) fn user_job(user: Option<&str>, job: &str) -> String {
    match user {
        Some(user) if user != "root" && !user.is_empty() => format!("{user}/{job}"),
        _ => job.to_owned(),
    }
}

/// Letters, digits, `.`, `_`, `-` only: safe in a file name, URL path, label, HTML comment.
pub(crate) fn is_plain(text: &str) -> bool {
    let plain = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-');
    !text.is_empty() && text.bytes().all(plain)
}

/// `[A-Za-z0-9][A-Za-z0-9._-]{0,127}`: safe as a file name.
pub(crate) fn validate_job(job: &str) -> Result<(), Error> {
    let reason = match job.as_bytes() {
        [] => "it is empty",
        _ if job.len() > JOB_NAME_MAX => "it is longer than 128 characters",
        [first, ..] if !first.is_ascii_alphanumeric() => "it must start with a letter or digit",
        _ if !is_plain(job) => "only letters, digits, `.`, `_` and `-` are allowed",
        _ => return Ok(()),
    };
    Err(Error::InvalidJob {
        job: job.to_owned(),
        reason,
    })
}
