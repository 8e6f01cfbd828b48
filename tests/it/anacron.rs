//! Jobs run by run-parts and anacron, end to end: discovery under
//! `--cron-root` compared with the real `run-parts --test`, the real
//! anacron running a test anacrontab whose jobs call the built hb-write,
//! and the deadlines that anacron's delays and `RANDOM_DELAY` give.

use crate::harness;

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};

use harness::{record, skip, Outcome, Scratch, HB_WRITE};

/// Debian 12's `/etc/crontab`, its job lines as shipped.
const DEBIAN_CRONTAB: &str = "\
SHELL=/bin/sh
PATH=/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin
17 *\t* * *\troot\tcd / && run-parts --report /etc/cron.hourly
25 6\t* * *\troot\ttest -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }
47 6\t* * 7\troot\ttest -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.weekly; }
52 6\t1 * *\troot\ttest -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.monthly; }
";

/// Debian 12's `/etc/anacrontab` job lines, below `settings`.
fn anacrontab(settings: &str) -> String {
    format!(
        "SHELL=/bin/sh\nHOME=/root\n{settings}\n\
         1\t5\tcron.daily\trun-parts --report /etc/cron.daily\n\
         7\t10\tcron.weekly\trun-parts --report /etc/cron.weekly\n\
         @monthly\t15\tcron.monthly\trun-parts --report /etc/cron.monthly\n"
    )
}

/// A host below the scratch area: Debian's `/etc/crontab` and empty
/// cron.daily, weekly and monthly; with `anacron`, that anacrontab and an
/// executable at `usr/sbin/anacron`, which is what tells discovery that
/// anacron is installed (the real one runs from the host's own path).
fn host(dir: &Scratch, anacron: Option<&str>) -> PathBuf {
    let root = dir.root().join("host");
    for sub in "etc/cron.daily etc/cron.weekly etc/cron.monthly usr/sbin".split(' ') {
        fs::create_dir_all(root.join(sub)).unwrap();
    }
    fs::write(root.join("etc/crontab"), DEBIAN_CRONTAB).unwrap();
    if let Some(tab) = anacron {
        script(&root.join("usr/sbin/anacron"), 0o755, "exit 0");
        fs::write(root.join("etc/anacrontab"), tab).unwrap();
    }
    root
}

fn script(path: &Path, mode: u32, body: &str) {
    fs::write(path, format!("#!/bin/sh\n{body}\n")).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

fn mkfifo(path: &Path) {
    let made = std::process::Command::new("mkfifo").arg(path).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo {}", path.display());
}

fn discover(dir: &Scratch, root: &Path, extra: &[&str]) -> Outcome {
    let cmd = dir.hb_check().arg("--discover").arg("--cron-root");
    cmd.arg(root).args(extra).run()
}

/// The jobs of hb-check's JSON: name, status, expectation, due time.
fn jobs(r: &Outcome) -> Vec<(String, String, String, String)> {
    let doc = r.json();
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
    doc["jobs"]
        .as_array()
        .unwrap_or_else(|| panic!("no jobs: {}", r.show()))
        .iter()
        .map(|j| {
            (
                text(&j["job"]),
                text(&j["status"]),
                text(&j["expectation"]),
                text(&j["due_at"]),
            )
        })
        .collect()
}

fn status_at(dir: &Scratch, root: &Path, now: &str, job: &str) -> String {
    let r = discover(dir, root, &["--format", "json", "--now", now]);
    jobs(&r)
        .into_iter()
        .find(|j| j.0 == job)
        .unwrap_or_else(|| panic!("no job `{job}` at {now}: {}", r.show()))
        .1
}

#[test]
fn discovery_runs_the_scripts_real_run_parts_runs_and_warns_of_the_rest() {
    if !skip::peer("run-parts", &["--version"], "debianutils") {
        return;
    }
    let dir = Scratch::new();
    let root = host(&dir, None);
    // Left behind by a removed anacron: nothing runs it.
    fs::write(root.join("etc/anacrontab"), anacrontab("")).unwrap();
    let daily = root.join("etc/cron.daily");
    let elsewhere = dir.root().join("real-script");
    script(&elsewhere, 0o755, "hb-write linked 1d");
    // Each a job of its own: `j0` in alpha, `j1` in Beta_2-x...
    let cases = "alpha:755 Beta_2-x:755 owner-only:700 backup.sh:755 plain:644 old.dpkg-old:755 .hidden:755 under_score:750";
    for (i, case) in cases.split(' ').enumerate() {
        let (name, mode) = case.split_once(':').unwrap();
        let mode = u32::from_str_radix(mode, 8).unwrap();
        script(
            &daily.join(name),
            mode,
            &format!("work && hb-write j{i} 1d"),
        );
    }
    symlink(&elsewhere, daily.join("linked")).unwrap();
    symlink(dir.root().join("nowhere"), daily.join("dangling")).unwrap();
    fs::create_dir(daily.join("subdir")).unwrap();
    mkfifo(&daily.join("fifo"));
    // Bigger than a script is read: run-parts runs it, discovery says it
    // cannot read it.
    let mut huge = "#!/bin/sh\nhb-write huge 1d\n".to_owned();
    huge.push_str(&"# padding\n".repeat(120_000));
    fs::write(daily.join("huge"), huge).unwrap();
    fs::set_permissions(daily.join("huge"), fs::Permissions::from_mode(0o755)).unwrap();

    // run-parts exits 1 over the dangling link it cannot stat, and names
    // what it runs all the same.
    let reference = harness::peer_cmd("run-parts")
        .arg("--test")
        .arg(&daily)
        .run();
    reference.code(1);
    let mut runs: Vec<String> = reference
        .stdout
        .lines()
        .map(|l| l.rsplit('/').next().unwrap().to_owned())
        .filter(|name| name != "huge")
        .collect();
    runs.sort();
    assert!(
        runs.contains(&"alpha".to_owned()) && !runs.contains(&"plain".to_owned()),
        "{runs:?}"
    );

    let started = std::time::Instant::now();
    let r = discover(
        &dir,
        &root,
        &["--format", "json", "--now", "2026-11-24T12:00:00Z"],
    );
    assert!(
        started.elapsed().as_secs() < 20,
        "a FIFO or a big script held the run"
    );
    let mut found: Vec<String> = jobs(&r)
        .iter()
        .filter_map(|j| j.2.split("/etc/cron.daily/").nth(1))
        .map(|at| at.split(':').next().unwrap().to_owned())
        .collect();
    found.sort();
    assert_eq!(found, runs, "{}", r.show());
    // Without anacron, /etc/crontab runs cron.daily at 06:25.
    let alpha = jobs(&r).into_iter().find(|j| j.0 == "j0").unwrap();
    assert!(alpha.3.ends_with("T06:25:00Z"), "{}", r.show());

    let lint = discover(&dir, &root, &["--lint"]);
    lint.code(1);
    let at = |name: &str| format!("{}:2: run-parts skips", daily.join(name).display());
    for (name, why) in [
        ("backup.sh", "its name has"),
        ("plain", "it is not executable"),
        ("old.dpkg-old", "its name"),
    ] {
        let line = lint.stdout.lines().find(|l| l.starts_with(&at(name)));
        assert!(
            line.is_some_and(|l| l.contains(why)),
            "{name}: {}",
            lint.show()
        );
    }
    lint.stdout_has(&format!("{}: the script is", daily.join("huge").display()));
    let tab = root.join("etc/anacrontab");
    lint.stdout_has(&format!(
        "{}: /usr/sbin/anacron is not installed",
        tab.display()
    ));
}

#[test]
fn real_anacron_runs_the_jobs_discovery_finds_and_each_gets_its_deadline() {
    if !skip::peer("anacron", &["-V"], "anacron")
        || !skip::peer("unshare", &["--version"], "util-linux")
    {
        return;
    }
    if !harness::is_root() {
        skip::skip("binding the test's cron.daily over /etc/cron.daily in a private mount namespace needs root");
        return;
    }
    let dir = Scratch::new();
    let settings = format!(
        "PATH=/usr/bin:/bin\nHB_DIR={}\nMAILTO=\nRANDOM_DELAY=45\n7\t10\tdirect\t{HB_WRITE} direct 7d -- /bin/true",
        dir.hb().display()
    );
    let root = host(&dir, Some(&anacrontab(&settings)));
    script(
        &root.join("etc/cron.daily/backup"),
        0o755,
        &format!("exec {HB_WRITE} backup 1d -- /bin/true"),
    );
    let spool = dir.root().join("spool");
    fs::create_dir(&spool).unwrap();
    // anacron reads the test's table; run-parts /etc/cron.daily in it sees
    // the test's directory, in a mount namespace of this run alone.
    let inside = format!(
        "mount --bind '{}' /etc/cron.daily && exec /usr/sbin/anacron -t '{}' -S '{}' -f -n -d",
        root.join("etc/cron.daily").display(),
        root.join("etc/anacrontab").display(),
        spool.display()
    );
    let ran = dir
        .cmd("timeout")
        .args([
            "120",
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            &inside,
        ])
        .run();
    ran.code(0);
    for job in ["backup", "direct"] {
        assert!(
            dir.hb().join(format!("{job}.last")).exists(),
            "{job} did not run: {}",
            ran.show()
        );
    }

    let r = discover(&dir, &root, &["--format", "json"]);
    let all = jobs(&r);
    let today = chrono::Utc::now().date_naive();
    let at = |days: u64, hms: &str| format!("{}T{hms}Z", today + chrono::Days::new(days));
    let backup = all
        .iter()
        .find(|j| j.0 == "backup")
        .unwrap_or_else(|| panic!("{}", r.show()));
    assert_eq!(backup.1, "ok", "{}", r.show());
    let script_at = root.join("etc/cron.daily/backup");
    assert_eq!(backup.2, format!("crontab {}:2", script_at.display()));
    // Tomorrow's 07:30 start plus 5 min of delay, 45 of RANDOM_DELAY and
    // the timer's 5.
    assert_eq!(backup.3, at(1, "08:25:00"), "{}", r.show());
    let direct = all
        .iter()
        .find(|j| j.0 == "direct")
        .unwrap_or_else(|| panic!("{}", r.show()));
    assert_eq!(direct.1, "ok", "{}", r.show());
    assert_eq!(direct.3, at(7, "08:30:00"), "{}", r.show());
}

/// A host whose anacrontab has `RANDOM_DELAY=45`, with a cron.daily
/// script that runs `backup` through hb-write, last reported at 07:36 on
/// 2026-11-23.
fn daily_backup_under_random_delay() -> (Scratch, PathBuf) {
    let dir = Scratch::new();
    let root = host(&dir, Some(&anacrontab("RANDOM_DELAY=45")));
    script(
        &root.join("etc/cron.daily/backup"),
        0o755,
        "hb-write backup 1d -- /usr/local/bin/backup",
    );
    dir.write(
        "backup.last",
        record("backup", "2026-11-23T07:36:00Z", 86_400, "ok", ""),
    );
    (dir, root)
}

#[test]
fn a_random_delay_of_45_minutes_never_false_alarms_and_a_missed_run_is_stale_within_it() {
    let (dir, root) = daily_backup_under_random_delay();
    // Every start anacron may draw (07:30 plus 5 + 0..45 + 0..5 minutes),
    // with a 20-minute run: never stale while the run may still come.
    for minutes in (0..=55).step_by(5) {
        let reported =
            chrono::NaiveTime::from_hms_opt(7, 50, 0).unwrap() + chrono::Duration::minutes(minutes);
        let now = format!("2026-11-24T{}Z", reported.format("%H:%M:%S"));
        assert_eq!(status_at(&dir, &root, &now, "backup"), "ok", "at {now}");
    }
    // Missed: stale once 07:30 + 55 min + the hour's grace has passed.
    assert_eq!(
        status_at(&dir, &root, "2026-11-24T09:25:00Z", "backup"),
        "ok"
    );
    assert_eq!(
        status_at(&dir, &root, "2026-11-24T09:25:01Z", "backup"),
        "stale"
    );

    let lint = discover(&dir, &root, &["--lint"]);
    // One warning: /etc/crontab's cron.daily line yields to anacron, so
    // the script's job is not found twice.
    lint.code(1);
    assert_eq!(lint.stdout.lines().count(), 1, "{}", lint.show());
    lint.stdout_has(&format!(
        "{}:2: job `backup` may start up to 55m after its fire (anacron's delay of 5 min, RANDOM_DELAY=45",
        root.join("etc/cron.daily/backup").display()
    ));
    lint.stdout_has(&format!(
        "set at {}:4)",
        root.join("etc/anacrontab").display()
    ));
}

#[test]
fn a_crontab_s_random_delay_widens_the_deadline_by_its_minutes() {
    let dir = Scratch::new();
    let tab = dir.root().join("jobs");
    fs::write(&tab, "RANDOM_DELAY=30\n0 3 * * * hb-write nightly 1d\nRANDOM_DELAY=soon\n0 4 * * * hb-write other 1d\n").unwrap();
    dir.write(
        "nightly.last",
        record("nightly", "2026-11-23T03:20:00Z", 86_400, "ok", ""),
    );
    let run = |now: &str| {
        let r = dir
            .hb_check()
            .arg("--crontab")
            .arg(&tab)
            .args(["--format", "json", "--now", now])
            .run();
        jobs(&r).into_iter().find(|j| j.0 == "nightly").unwrap()
    };
    let ok = run("2026-11-24T04:30:00Z");
    assert_eq!(
        (ok.1.as_str(), ok.3.as_str()),
        ("ok", "2026-11-24T03:30:00Z")
    );
    assert_eq!(run("2026-11-24T04:30:01Z").1, "stale");
    let lint = dir
        .hb_check()
        .arg("--lint")
        .arg("--crontab")
        .arg(&tab)
        .run();
    let name = tab.display().to_string();
    // Each warning names its line: the job's, and the setting's.
    lint.stdout_has(&format!("{name}:2: job `nightly` may start up to 30m after its fire (RANDOM_DELAY=30, set at {name}:1)"));
    lint.stdout_has(&format!(
        "{name}:3: RANDOM_DELAY=`soon` is not a number of minutes"
    ));
}

#[test]
fn bad_anacrontab_lines_are_named_by_line_and_the_good_ones_still_count() {
    let dir = Scratch::new();
    let tab = anacrontab("RANDOM_DELAY=many\nSTART_HOURS_RANGE=9-3\n2 five broken true\n@fortnightly 5 odd true\n1 5 a/b true");
    let root = host(&dir, Some(&tab));
    script(
        &root.join("etc/cron.weekly/report"),
        0o755,
        "hb-write report 7d",
    );
    let lint = discover(&dir, &root, &["--lint"]);
    lint.code(1);
    let name = root.join("etc/anacrontab").display().to_string();
    for (line, says) in [
        (3, "RANDOM_DELAY=`many`"),
        (4, "START_HOURS_RANGE=`9-3`"),
        (5, "the delay `five`"),
        (6, "`@fortnightly` is not a period"),
        (7, "the job identifier `a/b`"),
    ] {
        lint.stdout_has(&format!(
            "{name}:{line}: anacron cannot use this line: {says}"
        ));
    }
    let r = discover(
        &dir,
        &root,
        &["--format", "json", "--now", "2026-11-24T12:00:00Z"],
    );
    let report = jobs(&r)
        .into_iter()
        .find(|j| j.0 == "report")
        .unwrap_or_else(|| panic!("{}", r.show()));
    assert!(
        report.2.ends_with("/etc/cron.weekly/report:2"),
        "{}",
        r.show()
    );

    // A FIFO in the anacrontab's place is named, never waited on.
    let fifo_root = dir.root().join("fifo-host");
    fs::create_dir_all(fifo_root.join("etc")).unwrap();
    fs::create_dir_all(fifo_root.join("usr/sbin")).unwrap();
    script(&fifo_root.join("usr/sbin/anacron"), 0o755, "exit 0");
    let fifo = fifo_root.join("etc/anacrontab");
    mkfifo(&fifo);
    let lint = discover(&dir, &fifo_root, &["--lint"]);
    lint.stdout_has(&format!("{}: not a regular file", fifo.display()));
}

#[test]
fn after_a_boot_past_its_start_a_daily_job_is_due_at_anacron_s_catch_up() {
    let (dir, root) = daily_backup_under_random_delay();
    // Off over the 07:30 start, booted at 09:00: anacron runs the day's
    // jobs after the boot, so at 09:30 the job is not late yet...
    let at = |now: &str, boot: &str| {
        let r = discover(
            &dir,
            &root,
            &["--format", "json", "--now", now, "--boot-time", boot],
        );
        jobs(&r).into_iter().find(|j| j.0 == "backup").unwrap().1
    };
    assert_eq!(at("2026-11-24T09:30:00Z", "2026-11-24T09:00:00Z"), "ok");
    // ...as it would be with the host up all night.
    assert_eq!(at("2026-11-24T09:30:00Z", "2026-11-20T00:00:00Z"), "stale");
    // And the catch-up has its deadline: boot + 55 min + the hour's grace.
    assert_eq!(at("2026-11-24T10:55:01Z", "2026-11-24T09:00:00Z"), "stale");
}
