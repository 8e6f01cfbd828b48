//! Whether a job named on the command line is known where its files would
//! go, and the known names closest to one that is not.

use std::fs;
use std::path::Path;

use super::pause_file::with_own_areas;
use super::{history_path, HISTORY_EXTENSION};
use crate::record::validate_job;
use crate::Error;

const KNOWN_NAMES_MAX: usize = 10_000;

/// Whether `job` has a heartbeat or a history where its pause would go
/// (`dir` or the default locations, and this user's area below each); else
/// the message says where it looked and the known names closest to it, so
/// a typo does not pause nothing for days.
pub(crate) fn check_known(dir: Option<&Path>, job: &str) -> Result<(), Error> {
    let dirs = dir.map_or_else(super::default_locations, |dir| vec![dir.to_owned()]);
    let places = with_own_areas(&dirs);
    let known = |place: &Path| {
        super::heartbeat_path(place, job).exists() || history_path(place, job).exists()
    };
    if places.iter().any(|p| known(p)) {
        return Ok(());
    }
    let listings = places.iter().flat_map(|place| {
        let listing = fs::read_dir(place).into_iter().flatten().flatten();
        listing.take(KNOWN_NAMES_MAX)
    });
    let names: Vec<String> = listings
        .filter_map(|item| {
            let name = item.file_name().into_string().ok()?;
            let (stem, ext) = name.rsplit_once('.')?;
            let known = [super::EXTENSION, HISTORY_EXTENSION].contains(&ext);
            (known && validate_job(stem).is_ok()).then(|| stem.to_owned())
        })
        .collect();
    let near = crate::pause::closest(job, names.iter().map(String::as_str));
    let near: Vec<String> = near.iter().map(|n| format!("`{n}`")).collect();
    let mean = (!near.is_empty()).then(|| format!("; did you mean {}?", near.join(" or ")));
    Err(Error::rule(format!(
        "no job `{job}` to pause: no heartbeat or history in {}{}; --force pauses it anyway",
        crate::error::join_paths(&places),
        mean.unwrap_or_default()
    )))
}
