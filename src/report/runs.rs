//! The recent runs of a job as the panel shows them: the strip of the last
//! runs, the success rate over them and their median duration. The panel
//! has these columns only when some job has a history.

use crate::history::{Mark, Recent};
use crate::record::format_duration;

use super::content::NONE;

/// The columns the panel adds when some job has a history.
pub(crate) const COLUMNS: [&str; 3] = ["last runs", "success", "median"];

/// Whether a column of the panel holds numbers (aligned right).
pub(crate) fn is_numeric(heading: &str) -> bool {
    matches!(heading, "age" | "interval" | "ratio" | "success" | "median")
}

/// A job's recent runs, formatted for a panel row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cells<'a> {
    /// The strip, oldest first; empty without a history.
    pub marks: &'a [Mark],
    /// The success rate, such as `86%`, or `-`.
    pub success: String,
    /// The median duration, such as `12s` or `1m 30s`, or `-`.
    pub median: String,
}

impl Cells<'_> {
    /// The strip in ASCII (`++x?`) or Unicode (`✓✓✗·`); `-` when empty.
    pub(crate) fn strip(&self, unicode: bool) -> String {
        if self.marks.is_empty() {
            return NONE.to_owned();
        }
        self.marks
            .iter()
            .map(|m| if unicode { m.unicode() } else { m.ascii() })
            .collect()
    }
}

/// The cells for a job's recent runs (`-` everywhere without a history).
pub(crate) fn cells(recent: Option<&Recent>) -> Cells<'_> {
    Cells {
        marks: recent.map_or(&[], |r| &r.marks),
        success: recent
            .and_then(|r| r.success_rate)
            .map_or_else(|| NONE.to_owned(), format_rate),
        median: recent
            .and_then(|r| r.median_duration)
            .map_or_else(|| NONE.to_owned(), format_seconds),
    }
}

/// A rate from 0 to 1 as a whole percentage: `86%`.
pub(crate) fn format_rate(rate: f64) -> String {
    format!("{:.0}%", (rate * 100.0).clamp(0.0, 100.0))
}

/// A duration in seconds: one decimal under ten seconds (`2.5s`), else the
/// compact form (`12s`, `1m 30s`, `2h 5m`).
pub(crate) fn format_seconds(seconds: f64) -> String {
    if seconds < 9.95 {
        format!("{seconds:.1}s")
    } else {
        // Bounded: a duration read from a file can be any finite number.
        format_duration(seconds.round().min(u64::MAX as f64) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_durations_read_well() {
        assert_eq!(format_rate(6.0 / 7.0), "86%");
        assert_eq!(format_rate(1.0), "100%");
        assert_eq!(format_rate(0.0), "0%");
        assert_eq!(format_seconds(0.04), "0.0s");
        assert_eq!(format_seconds(2.46), "2.5s");
        assert_eq!(format_seconds(9.96), "10s");
        assert_eq!(format_seconds(90.0), "1m 30s");
        assert_eq!(format_seconds(1e300), format_duration(u64::MAX));
    }

    #[test]
    fn cells_without_history_are_dashes() {
        let none = cells(None);
        assert_eq!(none.strip(false), "-");
        assert_eq!((none.success.as_str(), none.median.as_str()), ("-", "-"));
        let recent = Recent {
            marks: vec![Mark::Ok, Mark::Fail, Mark::Missed],
            success_rate: Some(1.0 / 3.0),
            median_duration: Some(12.4),
        };
        let some = cells(Some(&recent));
        assert_eq!(some.strip(false), "+x?");
        assert_eq!(some.strip(true), "✓✗·");
        assert_eq!(
            (some.success.as_str(), some.median.as_str()),
            ("33%", "12s")
        );
    }
}
