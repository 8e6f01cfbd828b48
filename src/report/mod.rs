//! Renderers from judged jobs to bytes. Each writes to `impl io::Write`, so
//! every format is tested without a process.

mod html;
mod json;
mod lines;
mod mail;
mod markdown;
pub mod nightly;
pub mod runs;
mod text;

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::judge::Judgement;

pub use html::write_html;
pub use json::{write_json, write_json_with_errors};
pub use lines::write_lines;
pub use mail::{parse_mailbox, write_mail, Envelope};
pub use markdown::write_markdown;
pub use nightly::{Layout, Page};
pub use text::{write_text, TextOptions};

/// Everything a renderer needs: the judged jobs and how they were judged.
#[derive(Debug, Clone)]
pub struct Report<'a> {
    /// The instant the jobs were judged at.
    pub checked_at: DateTime<Utc>,
    /// The stale factor.
    pub factor: f64,
    /// The judged jobs, worst first.
    pub jobs: &'a [Judgement],
    /// The heartbeat directories read.
    pub dirs: &'a [PathBuf],
}

/// A ratio rounded for display and for JSON: two decimals.
pub fn round_ratio(ratio: f64) -> f64 {
    (ratio * 100.0).round() / 100.0
}
