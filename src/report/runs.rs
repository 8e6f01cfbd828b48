//! The recent runs of a job as the panel shows them: the strip of the last
//! runs, the success rate over them and their median duration. The panel
//! has these columns only when some job has a history.

use crate::history::Mark;
use crate::record::format_duration;

use super::content::NONE;

/// The columns the panel adds when some job has a history.
pub(crate) const COLUMNS: [&str; 3] = ["last runs", "success", "median"];

/// Whether a column of the panel holds numbers (aligned right).
pub(crate) fn is_numeric(heading: &str) -> bool {
    matches!(heading, "age" | "interval" | "ratio" | "success" | "median")
}

/// The strip of recent runs in ASCII (`++x?`) or Unicode (`✓✓✗·`); `-`
/// when empty.
pub(crate) fn strip(marks: &[Mark], unicode: bool) -> String {
    if marks.is_empty() {
        return NONE.to_owned();
    }
    marks.iter().map(|m| m.symbol(unicode)).collect()
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
        use crate::history::Recent;
        use crate::judge::Judgement;
        use crate::report::content::{panel, Cell};
        let number = |text: &str| Cell::Number(text.to_owned());
        let mut jobs = [Judgement::missing("a"), Judgement::missing("b")];
        jobs[1].recent = Some(Box::new(Recent {
            marks: vec![Mark::Ok, Mark::Fail, Mark::Missed],
            success_rate: Some(1.0 / 3.0),
            median_duration: Some(12.4),
        }));
        let (headings, rows) = panel(&jobs);
        assert_eq!(headings[5..], COLUMNS);
        assert_eq!(rows[0][5..], [Cell::Strip(&[]), number("-"), number("-")]);
        assert_eq!(rows[1][6..], [number("33%"), number("12s")]);
        assert_eq!(strip(&[], false), "-");
        let Cell::Strip(marks) = rows[1][5] else {
            panic!("{:?}", rows[1]);
        };
        assert_eq!(strip(marks, false), "+x?");
        assert_eq!(strip(marks, true), "✓✗·");
    }
}
