//! When a run lints the crontabs it reads, and the state beside the run
//! lock that lets a check lint them once per change.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use super::{files, Expectation, Expected, Lint, Source};

/// When a run lints the crontabs it reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LintWhen {
    /// `--lint`, night-watch's morning report.
    Always,
    /// A run that prints no warnings (`--quiet`).
    Never,
    /// When the crontabs read (files, sizes, modification times, and those
    /// that could not be read) differ from those this state file recorded:
    /// a check every 15 minutes warns once per change, not every run.
    Changed(PathBuf),
}

impl LintWhen {
    /// When a check holding the run lock at `lock` lints: once per change
    /// (recorded beside the lock, `.crontabs` appended), never when `quiet`.
    pub(crate) fn for_check(quiet: bool, lock: &Path) -> LintWhen {
        if quiet {
            return LintWhen::Never;
        }
        LintWhen::Changed(crate::store::beside(lock, ".crontabs"))
    }
}

/// What the lint of `tabs` (and of those that could not be read) depends
/// on, as one line for the state file.
pub(super) fn fingerprint(
    tabs: &[files::Loaded],
    unread: &[Lint],
    run_parts: &[Expectation],
    zone: chrono_tz::Tz,
) -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    zone.name().hash(&mut hasher);
    for tab in tabs {
        (&tab.path, tab.identity).hash(&mut hasher);
    }
    for problem in unread {
        (&problem.source.file, &problem.message).hash(&mut hasher);
    }
    for e in run_parts {
        (&e.job, e.interval, e.source.to_string(), e.timing.delay).hash(&mut hasher);
    }
    format!("crontabs {} {:016x}\n", tabs.len(), hasher.finish())
}

/// Whether to lint now, by `when`, and with [`LintWhen::Changed`] the
/// state file to record `seen` in once the warnings are told.
pub(super) fn lint_now(when: &LintWhen, seen: &str) -> (bool, Option<PathBuf>) {
    match when {
        LintWhen::Always => (true, None),
        LintWhen::Never => (false, None),
        LintWhen::Changed(path) => {
            let last = crate::store::read_small(path);
            let changed = last.is_none_or(|last| last != seen.as_bytes());
            (changed, changed.then(|| path.clone()))
        }
    }
}

impl Expected {
    /// Records, beside the run lock, the crontabs just linted, so that
    /// checks stay quiet until they change; to be called once the run is
    /// sure to tell the warnings. A failure to record is one more warning.
    pub(crate) fn record_linted(&mut self) {
        let Some((path, seen)) = self.linted.take() else {
            return;
        };
        if let Err(err) = crate::store::write_file(&path, seen.as_bytes()) {
            let why = format!(
                "cannot record the crontabs linted, so they are linted again next run: {err}"
            );
            self.lint.push(Lint::new(Source::new(&path, 0), why));
        }
    }
}
