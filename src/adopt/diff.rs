//! A unified diff of a crontab and its adopted form. Adoption replaces
//! lines one for one, so the hunks need no alignment: each changed line
//! with up to three lines of context either side, overlapping hunks merged.

use std::fmt::Write;

use crate::escape::terminal;
use crate::http::hide_urls;

/// A line as the diff shows it: each URL by its scheme and host only (a
/// ping URL's path is its secret), escaped for the terminal but its tabs
/// (crontabs are aligned with them, and a tab is harmless).
fn shown(line: &str) -> String {
    hide_urls(line)
        .split('\t')
        .map(|part| terminal(part).into_owned())
        .collect::<Vec<_>>()
        .join("\t")
}

const CONTEXT: usize = 3;
const NO_NEWLINE: &str = "\n\\ No newline at end of file";

/// The diff of `old` and `new` (the same number of lines), with `name` in
/// both headers; empty when they are equal.
pub(crate) fn unified(name: &str, old: &str, new: &str) -> String {
    let a: Vec<&str> = old.split('\n').collect();
    let b: Vec<&str> = new.split('\n').collect();
    // A final newline leaves an empty last piece, which is no line.
    let count = a.len() - usize::from(old.ends_with('\n'));
    let changed: Vec<usize> = (0..count.min(b.len())).filter(|&i| a[i] != b[i]).collect();
    let mut out = String::new();
    if changed.is_empty() {
        return out;
    }
    let name = terminal(name);
    let _ = writeln!(out, "--- {name}\n+++ {name}");
    // Changes whose contexts touch or overlap are one hunk.
    for hunk in changed.chunk_by(|a, b| *b <= a + 2 * CONTEXT + 1) {
        let start = hunk[0].saturating_sub(CONTEXT);
        let end = (hunk[hunk.len() - 1] + CONTEXT + 1).min(count);
        let span = end - start;
        let _ = writeln!(out, "@@ -{},{span} +{},{span} @@", start + 1, start + 1);
        for i in start..end {
            let eof = i + 1 == count && !old.ends_with('\n');
            let marker = if eof { NO_NEWLINE } else { "" };
            if a[i] == b[i] {
                let _ = writeln!(out, " {}{marker}", shown(a[i]));
            } else {
                let _ = writeln!(out, "-{}{marker}", shown(a[i]));
                let _ = writeln!(out, "+{}{marker}", shown(b[i]));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hunks_carry_context_and_merge_when_close() {
        let old: String = (1..=20)
            .flat_map(|i| ["l".to_owned(), i.to_string(), "\n".to_owned()])
            .collect();
        let new = old
            .replace("l2\n", "L2\n")
            .replace("l5\n", "L5\n")
            .replace("l18\n", "L18\n");
        let diff = unified("tab", &old, &new);
        let heads: Vec<&str> = diff.lines().filter(|l| l.starts_with("@@")).collect();
        assert_eq!(heads, ["@@ -1,8 +1,8 @@", "@@ -15,6 +15,6 @@"]);
        assert!(diff.starts_with("--- tab\n+++ tab\n"));
        assert!(diff.contains("-l5\n+L5\n"));
        assert_eq!(unified("tab", &old, &old), "");
        let tail = unified("t", "a\nb", "a\nB");
        assert!(
            tail.ends_with("-b\n\\ No newline at end of file\n+B\n\\ No newline at end of file\n"),
            "{tail}"
        );
    }

    #[test]
    fn tabs_stay_and_control_characters_are_escaped() {
        let tabs = unified("t", "0 3\t* * *\x1b[2Jx\n", "0 3\t* * *\x1b[2Jy\n");
        assert!(tabs.contains("-0 3\t* * *\\u{1b}[2Jx\n"), "{tabs}");
    }

    #[test]
    fn ping_urls_show_their_host_only() {
        let old = "0 3 * * * backup && curl -fsS https://hc-ping.com/8c1f-secret\n";
        let new = "0 3 * * * hb-write backup 1d -- sh -c 'backup && curl -fsS https://hc-ping.com/8c1f-secret'\n";
        let diff = unified("t", old, new);
        assert!(!diff.contains("8c1f"), "{diff}");
        assert!(diff.contains("+0 3 * * * hb-write backup 1d -- sh -c 'backup && curl -fsS https://hc-ping.com'\n"), "{diff}");
    }
}
