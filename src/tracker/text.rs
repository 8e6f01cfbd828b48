//! The words of the alert issue: its title, its body (a table of the bad
//! jobs and the marker), and the comments. Markdown for GitHub and Gitea.
//!
//! Text from heartbeat files (job names, hosts, reasons) is untrusted: it
//! is rendered inert, as an inline code span, so that `@admin` mentions
//! nobody, `#1` links no issue and a URL is no link, in both forges'
//! Markdown. Numbers are formatted as in every other output: ratios `0.0x`,
//! a missing value `-`.

use chrono::{DateTime, Utc};

use super::decide::{alert_key, alert_set};
use super::marker::{Jobs, Marker};
use crate::escape;
use crate::judge::{Judgement, Status};
use crate::record::format_duration;

/// The start of every title hb-check gives its issues.
pub const TITLE_TAG: &str = "[heartbeat-checker]";

/// The description of a label hb-check creates.
pub const LABEL_DESCRIPTION: &str =
    "cron jobs that cron-heartbeat found stale, failed, invalid or missing";

/// `text` as an inline code span: inert in GitHub- and Gitea-flavoured
/// Markdown (no mention, reference, link, emphasis or HTML). Control
/// characters show as `\u{..}`; the fence is longer than any run of
/// backticks inside.
pub fn inert(text: &str) -> String {
    let plain = escape::terminal(text);
    if plain.is_empty() {
        return "-".to_owned();
    }
    let longest = plain.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if plain.starts_with(['`', ' ']) || plain.ends_with(['`', ' ']) {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{plain}{pad}{fence}")
}

/// [`inert`] for a table cell: a pipe would end the cell even inside a code
/// span, so it is escaped (tables read `\|` as a pipe inside code too).
pub fn inert_cell(text: &str) -> String {
    inert(text).replace('|', "\\|")
}

/// The title prefix that marks a host's issues. It ends with the colon, so
/// host `web1` never claims `web10`'s issue.
pub fn title_prefix(host: &str) -> String {
    format!("{TITLE_TAG} {host}:")
}

/// The issue title for `count` bad jobs.
pub fn title(host: &str, count: usize) -> String {
    format!("{} {count} job(s) need attention", title_prefix(host))
}

/// The title of an issue hb-check closed.
pub fn closed_title(host: &str) -> String {
    format!("{} all jobs recovered", title_prefix(host))
}

/// The label that marks one host's issues besides the shared one
/// (`heartbeat:web1`), so that the host's closed issues are found in one
/// request however many other hosts' issues the repo holds. A host whose
/// name is long or holds other characters than letters, digits, `.`, `_`
/// and `-` gets a digest instead, since labels are short and a comma would
/// split the listing's label filter.
pub fn host_label(label: &str, host: &str) -> String {
    let plain = host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    let name = format!("{label}:{host}");
    if plain && !host.is_empty() && name.len() <= 50 {
        return name;
    }
    let digest = host.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let short: String = label.chars().take(30).collect();
    format!("{short}:host-{digest:016x}")
}

fn or_dash(value: Option<String>) -> String {
    value.unwrap_or_else(|| "-".to_owned())
}

/// The issue body: a table of the bad jobs, what the issue does, how to
/// retire a job, and the marker.
pub fn body(host: &str, jobs: &[Judgement], checked_at: DateTime<Utc>) -> String {
    let bad: Vec<&Judgement> = jobs.iter().filter(|j| j.status.is_alert()).collect();
    let host_md = inert(host);
    let mut out = format!(
        "hb-check on {host_md} found {} job(s) that need attention.\n\n\
         | job | status | age | interval | ratio | reason |\n\
         |---|---|---|---|---|---|\n",
        bad.len()
    );
    for j in &bad {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            inert_cell(&alert_key(host, j)),
            j.status,
            or_dash(j.age_seconds.map(format_duration)),
            or_dash(j.interval_seconds.map(format_duration)),
            or_dash(
                j.ratio
                    .map(|r| crate::report::nightly::format_ratio(Some(r)))
            ),
            or_dash(j.reason.as_deref().map(inert_cell)),
        ));
    }
    out.push_str(&format!(
        "\nChecked at {}. hb-check edits this issue when the set of bad jobs changes \
         and closes it when every job recovers. Closing it by hand acknowledges these jobs: \
         no new issue is opened for them until one of them recovers and goes bad again, \
         or another job goes bad.\n\n\
         To retire a job on purpose, run `hb-write --retire JOB` on {host_md} and drop \
         the job from `--expect` (`HB_EXPECT`).\n\n",
        stamp(checked_at)
    ));
    out.push_str(&marker(host, alert_set(host, jobs)).render());
    out.push('\n');
    out
}

/// The body of an issue hb-check closes: every job recovered, and an empty
/// marker, so that the close is not taken for an acknowledgement.
pub fn closed_body(
    host: &str,
    recovered: &[(String, Status)],
    checked_at: DateTime<Utc>,
) -> String {
    let mut out = format!(
        "All jobs on {} recovered by {}; hb-check closed this issue.\n\n",
        inert(host),
        stamp(checked_at)
    );
    if !recovered.is_empty() {
        out.push_str(&format!("Recovered: {}.\n\n", list(recovered, true)));
    }
    out.push_str(&marker(host, Jobs::new()).render());
    out.push('\n');
    out
}

fn marker(host: &str, jobs: Jobs) -> Marker {
    Marker {
        host: host.to_owned(),
        jobs,
    }
}

fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn list(jobs: &[(String, Status)], was: bool) -> String {
    jobs.iter()
        .map(|(job, status)| {
            if was {
                format!("{} (was {status})", inert(job))
            } else {
                format!("{} ({status})", inert(job))
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The comment on an edited issue: what went bad, what changed, what
/// recovered.
pub fn update_comment(
    went_bad: &[(String, Status)],
    changed: &[(String, Status, Status)],
    recovered: &[(String, Status)],
    count: usize,
) -> String {
    let mut lines = Vec::new();
    if !went_bad.is_empty() {
        lines.push(format!("Went bad: {}.", list(went_bad, false)));
    }
    if !changed.is_empty() {
        let text: Vec<String> = changed
            .iter()
            .map(|(job, was, now)| format!("{} ({was} \u{2192} {now})", inert(job)))
            .collect();
        lines.push(format!("Changed: {}.", text.join(", ")));
    }
    if !recovered.is_empty() {
        lines.push(format!("Recovered: {}.", list(recovered, true)));
    }
    lines.push(format!("{count} job(s) need attention now."));
    lines.join("\n\n")
}

/// The comment before closing: what recovered and how long the issue was
/// open by `now`, the instant the jobs were judged at.
pub fn close_comment(
    recovered: &[(String, Status)],
    opened: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> String {
    let mut text = if recovered.is_empty() {
        "Every job recovered.".to_owned()
    } else {
        format!("Recovered: {}.", list(recovered, true))
    };
    if let Some(opened) = opened {
        let open_for = u64::try_from((now - opened).num_seconds()).unwrap_or(0);
        text.push_str(&format!(
            " This issue was open for {}.",
            format_duration(open_for)
        ));
    }
    text.push_str(" Closing it.");
    text
}

/// The comment on a second issue for the same host (two checkers set up as
/// one host, racing): it points to the issue that stays open.
pub fn duplicate_comment(host: &str, kept: u64) -> String {
    format!(
        "Another open issue, #{kept}, is about {} too; hb-check keeps the oldest and closes this one. \
         If two machines report as this host, give each its own `--host` (`HB_HOST`).",
        inert(host)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untrusted_text_is_an_inert_code_span() {
        assert_eq!(inert("@admin"), "`@admin`");
        assert_eq!(inert("see #1 https://x.test"), "`see #1 https://x.test`");
        assert_eq!(inert("a`b"), "``a`b``");
        assert_eq!(inert("`x``"), "``` `x`` ```");
        assert_eq!(inert("line\nBcc: x"), "`line\\u{a}Bcc: x`");
        assert_eq!(inert(""), "-");
        assert_eq!(inert_cell("a|b"), "`a\\|b`");
    }

    #[test]
    fn titles_end_the_host_with_a_colon() {
        assert_eq!(
            title("web1", 2),
            "[heartbeat-checker] web1: 2 job(s) need attention"
        );
        assert!(!title("web10", 1).starts_with(&title_prefix("web1")));
        assert!(closed_title("web1").starts_with(&title_prefix("web1")));
    }

    #[test]
    fn host_labels_are_short_and_safe() {
        assert_eq!(host_label("heartbeat", "web1"), "heartbeat:web1");
        let odd = host_label("heartbeat", "web,1");
        assert!(
            odd.starts_with("heartbeat:host-") && !odd.contains(','),
            "{odd}"
        );
        assert_ne!(odd, host_label("heartbeat", "web,2"));
        assert!(host_label("heartbeat", &"h".repeat(200)).len() <= 50);
    }

    #[test]
    fn bodies_render_heartbeat_text_inert_and_carry_the_marker() {
        let mut j = Judgement::missing("back|up");
        j.reason = Some("@admin see #1 at https://evil.test <b>|".into());
        let mut late = Judgement::missing("slow");
        late.status = Status::Stale;
        late.ratio = Some(0.04);
        late.reason = None;
        let text = body("web1", &[j, late], Utc::now());
        assert!(
            text.contains("| `back\\|up` | missing | - | - | - |"),
            "{text}"
        );
        assert!(
            text.contains("| `@admin see #1 at https://evil.test <b>\\|` |"),
            "{text}"
        );
        assert!(
            text.contains("| `slow` | stale | - | - | 0.0x | - |"),
            "{text}"
        );
        assert!(text.contains("hb-write --retire JOB"));
        let marker = Marker::parse(&text).unwrap();
        assert_eq!(marker.jobs.len(), 2);
    }

    #[test]
    fn a_closed_body_says_all_recovered() {
        let text = closed_body("web1", &[("backup".into(), Status::Stale)], Utc::now());
        assert!(text.starts_with("All jobs on `web1` recovered"), "{text}");
        assert!(!text.contains("need attention"), "{text}");
        assert_eq!(Marker::parse(&text).unwrap().jobs, Jobs::new());
    }

    #[test]
    fn open_for_counts_to_the_judging_instant() {
        let opened = DateTime::parse_from_rfc3339("2026-11-22T01:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let now = opened + chrono::Duration::minutes(150);
        let text = close_comment(&[], Some(opened), now);
        assert!(text.contains("open for 2h 30m"), "{text}");
        assert!(close_comment(&[], Some(now), opened).contains("open for 0s"));
    }
}
