//! Exit codes, part of the interface of every binary.

use crate::judge::Status;

/// hb-check's exit codes, the monitoring-plugin convention (Nagios, Icinga, Sensu). Results merge
/// by severity, not by number: CRITICAL over WARNING over UNKNOWN over OK, as monitoring-plugins'
/// `max_state_alt` ranks them, so a tracker outage (UNKNOWN) never hides a stale job (CRITICAL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// 0: every job is ok.
    Ok = 0,
    /// 1: something is late or failing (under `--alert-after`) and nothing
    /// worse, or no heartbeat was found.
    Warning = 1,
    /// 2: something is stale, failed, invalid or missing.
    Critical = 2,
    /// 3: could not check (no location, unreadable directory, lock timeout,
    /// tracker failure, bad usage).
    Unknown = 3,
}

impl Check {
    /// The code for one job's status.
    pub fn of(status: Status) -> Check {
        match status {
            Status::Ok | Status::Running | Status::Paused => Check::Ok,
            Status::Late | Status::Failing => Check::Warning,
            Status::Stale | Status::Failed | Status::Invalid | Status::Missing => Check::Critical,
        }
    }

    /// The more severe of two codes (monitoring-plugins' `max_state_alt`).
    #[must_use]
    pub fn merge(self, other: Check) -> Check {
        // The severity, indexed by the code: OK, WARNING, CRITICAL, UNKNOWN.
        std::cmp::max_by_key(self, other, |c| [0, 2, 3, 1][*c as usize])
    }

    /// The code for a whole run's statuses; no status at all is a warning.
    pub fn of_all(statuses: impl IntoIterator<Item = Status>) -> Check {
        (statuses.into_iter().map(Check::of).reduce(Check::merge)).unwrap_or(Check::Warning)
    }
}

/// hb-write's exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    /// 0: the heartbeat was written (or the job retired).
    Written = 0,
    /// 1: the heartbeat could not be written.
    Failed = 1,
    /// 2: bad usage: job name, interval or flags.
    Usage = 2,
}

/// night-watch's exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Watch {
    /// 0: the report was rendered, whatever it says.
    Rendered = 0,
    /// 3: nothing could be read, bad usage, or a `--notify` destination
    /// did not take the summary (the report was still printed).
    Unreadable = 3,
}

// Each enum's discriminant is the process's exit status.
macro_rules! exit_codes {
    ($($code:ty),*) => {$(
        impl From<$code> for std::process::ExitCode {
            fn from(code: $code) -> Self {
                std::process::ExitCode::from(code as u8)
            }
        }
    )*};
}

exit_codes!(Check, Write, Watch);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_status_decides() {
        use Status::*;
        assert_eq!(Check::of_all([Ok, Ok]), Check::Ok);
        assert_eq!(Check::of_all([Running, Ok]), Check::Ok);
        assert_eq!(Check::of_all([Ok, Late]), Check::Warning);
        assert_eq!(Check::of_all([Ok, Failing]), Check::Warning);
        assert_eq!(Check::of_all([Paused, Ok]), Check::Ok, "a pause is quiet");
        for bad in [Stale, Failed, Invalid, Missing] {
            assert_eq!(Check::of_all([Late, bad, Ok]), Check::Critical, "{bad}");
        }
        assert_eq!(Check::of_all([]), Check::Warning);
    }

    #[test]
    fn merge_ranks_like_max_state_alt() {
        use Check::*;
        // Every pair, both ways round: CRITICAL > WARNING > UNKNOWN > OK.
        let ranked = [Ok, Unknown, Warning, Critical];
        for (i, low) in ranked.iter().enumerate() {
            for high in &ranked[i..] {
                assert_eq!(low.merge(*high), *high, "{low:?} with {high:?}");
                assert_eq!(high.merge(*low), *high, "{high:?} with {low:?}");
            }
        }
        assert_eq!(Critical.merge(Unknown), Critical);
        assert_eq!(Warning.merge(Unknown), Warning);
        assert_eq!(Unknown.merge(Ok), Unknown);
        assert_eq!(Unknown as u8, 3);
    }
}
