//! `hb-check --adopt`: every job line not calling hb-write yet is proposed
//! in wrapper form, named from its command ([`name`]), its interval the
//! largest gap between its schedule's fires. A dry run prints the diffs,
//! `--apply` writes them after a backup, `--undo` puts the backups back.

mod apply;
mod name;
mod plan;

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use crate::escape::{terminal, terminal_path};
use crate::exit_code::Check;
use crate::expect::{flavour_of, ScheduleArgs};
use crate::schedule::files::{self, SPOOL};

/// The options of `hb-check --adopt`.
#[derive(Debug, Clone, clap::Args)]
pub struct AdoptArgs {
    /// Propose the wrapper form (`hb-write NAME INTERVAL -- COMMAND`) of
    /// every job line of the crontabs read (--crontab, --discover) that
    /// does not call hb-write yet: a unified diff per crontab on standard
    /// output; exit 0 when nothing would change, 1 when something would.
    #[arg(long)]
    pub adopt: bool,

    /// With --adopt: write the changes, after a backup of each crontab
    /// (`FILE.hb-adopt.bak`; a user's crontab in the state directory).
    #[arg(long, requires = "adopt", conflicts_with = "undo")]
    pub apply: bool,

    /// With --adopt: put back the crontabs saved by --apply.
    #[arg(long, requires = "adopt")]
    pub undo: bool,

    /// With --adopt: only the jobs of these names (as adoption names them).
    #[arg(long, value_name = "JOB,...")]
    #[arg(value_delimiter = ',', requires = "adopt")]
    pub only: Vec<String>,

    /// With --adopt: leave the jobs whose names match PATTERN (`*`, `?`);
    /// repeat for several.
    #[arg(long, value_name = "PATTERN", requires = "adopt")]
    pub exclude: Vec<String>,

    /// With --adopt: add this to every interval derived from a schedule
    /// (a job that may start late or run long).
    #[arg(long, value_name = "DURATION", requires = "adopt", value_parser = |t: &str| crate::record::GRACE.parse(t))]
    pub interval_slack: Option<u64>,
}

/// The crontabs to adopt, read; an unreadable one goes to `refuse` (line 0).
fn crontabs(args: &ScheduleArgs, refuse: &mut dyn FnMut(&Path, usize, &str)) -> Vec<apply::Tab> {
    let spool = files::under(&args.cron_root, SPOOL);
    let user_of = |p: &Path| {
        let name = p.file_name()?.to_str()?.to_owned();
        (p.parent() == Some(spool.as_path())).then_some(name)
    };
    let given = (args.crontab.iter()).map(|p| (p.clone(), flavour_of(p), user_of(p)));
    let mut named: Vec<_> = given.collect();
    if args.discover {
        let found = files::discover(&args.cron_root);
        for unread in found.problems {
            refuse(&unread.source.file, 0, &unread.message);
        }
        for tab in found.tabs {
            if !named.iter().any(|t| t.0 == tab.path) {
                named.push((tab.path, tab.flavour, tab.owner));
            }
        }
    }
    // Under another root a user's crontab is a plain file: `crontab` installs into this system.
    let live = args.cron_root == Path::new("/");
    (named.into_iter())
        .filter_map(|(path, flavour, user)| {
            let tab = apply::load(&path, flavour, user.as_deref(), live);
            tab.map_err(|(line, why)| refuse(&path, line, &why)).ok()
        })
        .collect()
}

/// Runs `hb-check --adopt`: notes and diffs to `out`, each refusal to stderr
/// naming file and line; 3 when any was refused, 1 when a dry run changes.
pub(crate) fn run(
    args: &AdoptArgs,
    schedule: &ScheduleArgs,
    program: &str,
    out: &mut dyn Write,
) -> Check {
    if !schedule.reads_crontabs() {
        eprintln!(
            "{program}: --adopt needs the crontabs to read: give --crontab FILE or --discover"
        );
        return Check::Unknown;
    }
    let mut exclude = Vec::with_capacity(args.exclude.len());
    for pattern in &args.exclude {
        let Some(glob) = plan::glob(pattern) else {
            let shown = crate::escape::value(pattern);
            eprintln!("{program}: invalid --exclude `{shown}`: the pattern is too large to match; give a shorter one");
            return Check::Unknown;
        };
        exclude.push(glob);
    }
    // A refusal is 3 whatever else happened (merge would rank a pending change above it).
    let (mut refused, mut pending) = (false, false);
    let refuse = |path: &Path, line: usize, reason: &dyn std::fmt::Display| {
        let at = format!(":{line}");
        let at = if line > 0 { &at } else { "" };
        eprintln!("{program}: {}{at}: {reason}", terminal_path(path));
        true
    };
    let tabs = crontabs(schedule, &mut |path, line, reason| {
        refused |= refuse(path, line, &reason);
    });
    if args.undo {
        let mut any = false;
        for tab in &tabs {
            match apply::undo(tab) {
                Ok(false) => {}
                Ok(true) => {
                    any = true;
                    let _ = writeln!(out, "restored {}", terminal_path(&tab.path));
                }
                Err(reason) => refused |= refuse(&tab.path, 0, &reason),
            }
        }
        if !any {
            let _ = writeln!(out, "nothing to undo: no backup of an adoption");
        }
        return if refused { Check::Unknown } else { Check::Ok };
    }
    let mut adoption = plan::Adoption {
        only: args.only.clone(),
        exclude,
        slack: args.interval_slack.unwrap_or(0),
        // The hb-write beside this program by its full path (cron's `PATH` is short).
        program: (std::env::current_exe().ok())
            .and_then(|exe| Some(exe.parent()?.join("hb-write")))
            .filter(|p| p.is_file())
            .and_then(|p| p.to_str().map(str::to_owned))
            .unwrap_or_else(|| "hb-write".to_owned()),
        zone: files::system_zone(),
        now: chrono::Utc::now(),
        ..plan::Adoption::default()
    };
    for tab in &tabs {
        adoption.note_existing(&tab.path, &tab.text, tab.flavour);
    }
    for tab in &tabs {
        let planned = adoption.plan(&tab.path, &tab.text, tab.flavour);
        let shown = terminal_path(&tab.path);
        for (line, reason) in &planned.refused {
            refused |= refuse(&tab.path, *line, reason);
        }
        let mut lines: Vec<&str> = tab.text.split('\n').collect();
        for (line, text) in &planned.adopted {
            lines[line - 1] = text;
        }
        let new = lines.join("\n");
        let notes =
            (planned.notes.iter()).map(|(line, note)| format!("# {shown}:{line}: {note}\n"));
        let text: String = notes.chain([unified(&shown, &tab.text, &new)]).collect();
        refused |= out.write_all(text.as_bytes()).is_err();
        let changes = !planned.adopted.is_empty();
        pending |= changes && !args.apply;
        if let Some(Err(reason)) = (changes && args.apply).then(|| apply::write(tab, &new)) {
            refused |= refuse(&tab.path, 0, &reason);
        }
    }
    match (refused, pending) {
        (true, _) => Check::Unknown,
        (false, true) => Check::Warning,
        (false, false) => Check::Ok,
    }
}

/// A line as the diff shows it: URLs by scheme and host only (a ping URL's
/// path is its secret), escaped for the terminal but its tabs (aligning).
fn shown(line: &str) -> String {
    let line = crate::http::hide_urls(line);
    let parts: Vec<_> = line.split('\t').map(terminal).collect();
    parts.join("\t")
}

const CONTEXT: usize = 3;
const NO_NEWLINE: &str = "\n\\ No newline at end of file";

/// The unified diff of `old` and `new` (empty when equal). Adoption replaces
/// lines one for one, so hunks need no alignment: overlapping ones merge.
fn unified(name: &str, old: &str, new: &str) -> String {
    let a: Vec<&str> = old.split('\n').collect();
    let b: Vec<&str> = new.split('\n').collect();
    // A final newline leaves an empty last piece, which is no line.
    let count = a.len() - usize::from(old.ends_with('\n'));
    let changed: Vec<usize> = (0..count.min(b.len())).filter(|&i| a[i] != b[i]).collect();
    if changed.is_empty() {
        return String::new();
    }
    let name = terminal(name);
    let mut out = format!("--- {name}\n+++ {name}\n");
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
mod corpus;

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
