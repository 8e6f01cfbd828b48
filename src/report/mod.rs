//! Renderers from judged jobs to bytes. Each writes to `impl io::Write`, so
//! every format is tested without a process.

pub(crate) mod content;
mod html;
mod json;
mod lines;
mod mail;
mod markdown;
mod page;
mod text;

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::judge::Judgement;

pub(crate) use html::Html;
pub(crate) use json::{write_json, CauseFields};
pub(crate) use lines::{write_line, write_lines};
pub(crate) use mail::{parse_mailbox, parse_recipient, write_mail, Recipient};
pub(crate) use markdown::Markdown;
pub(crate) use page::{write_page, Markup};
pub(crate) use text::{Text, TextPage};

/// Everything a renderer needs: the judged jobs (worst first) and how they
/// were judged.
#[derive(Debug, Clone)]
pub(crate) struct Report<'a> {
    pub checked_at: DateTime<Utc>,
    pub factor: f64,
    pub jobs: &'a [Judgement],
    pub dirs: &'a [PathBuf],
    pub fleet: &'a crate::fleet::Fleet,
    /// What caused the run's bad jobs, a line each (night-watch's pages).
    pub causes: &'a [String],
}

impl<'a> Report<'a> {
    /// A report of `jobs` alone: no directory, no fleet, no cause.
    pub(crate) fn new(checked_at: DateTime<Utc>, factor: f64, jobs: &'a [Judgement]) -> Self {
        Report {
            checked_at,
            factor,
            jobs,
            dirs: &[],
            fleet: &crate::fleet::NONE,
            causes: &[],
        }
    }
}

/// A ratio rounded to `places` decimals, never across 1: above 1 it rounds
/// up, so a late job never shows `1.0x` nor a stale one the factor itself.
pub(crate) fn round_ratio(ratio: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places);
    if ratio > 1.0 {
        // The nudge keeps 1.1 (11.000000000000002 when scaled) at 1.1.
        ((ratio * scale) - 1e-9).ceil() / scale
    } else {
        (ratio * scale).round() / scale
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_late_ratio_never_rounds_down_to_one() {
        assert_eq!(round_ratio(1.04, 1), 1.1);
        assert_eq!(round_ratio(1.0001, 1), 1.1);
        assert_eq!(round_ratio(1.1, 1), 1.1);
        assert_eq!(round_ratio(330.0 / 300.0, 1), 1.1);
        assert_eq!(round_ratio(1.0, 1), 1.0);
        assert_eq!(round_ratio(0.96, 1), 1.0);
        assert_eq!(round_ratio(2.0001, 1), 2.1);
        assert_eq!(round_ratio(1.001, 2), 1.01);
        assert_eq!(round_ratio(12.0, 2), 12.0);
    }
}
