//! `hb-check --adopt` end to end: real crontab trees (under `--cron-root`),
//! Debian's `crontab` checking and installing what adoption writes, and
//! crontabs built to fool it.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::harness::{is_root, peer_cmd, skip, Scratch, HB_WRITE, NOBODY};

const SYSTEM: &str = "\
# the host's jobs
SHELL=/bin/sh
PATH=/usr/local/bin:/usr/bin:/bin
17 * * * * root cd / && run-parts --report /etc/cron.hourly
";

const JOBS: &str = "\
MAILTO=ops@example.com

# nightly backup
0 3 * * * root /usr/local/bin/backup.sh --full
@reboot root /usr/local/bin/warm-cache
30 2 * * 1-5 backup pg_dump app | gzip > /srv/app-$(date +\\%F).sql.gz
*/5 * * * * www-data /usr/bin/php /var/www/artisan schedule:run >/dev/null 2>&1
0 4 * * * root /usr/local/bin/hb-write rotate 1d -- /usr/sbin/logrotate /etc/logrotate.conf
";

/// A cron tree under the scratch area: `/etc/crontab` and one file in
/// `/etc/cron.d`, mode 0640.
fn tree(dir: &Scratch) -> (PathBuf, PathBuf, PathBuf) {
    let root = dir.root().join("sys");
    fs::create_dir_all(root.join("etc/cron.d")).unwrap();
    let system = root.join("etc/crontab");
    let jobs = root.join("etc/cron.d/jobs");
    fs::write(&system, SYSTEM).unwrap();
    fs::write(&jobs, JOBS).unwrap();
    fs::set_permissions(&jobs, fs::Permissions::from_mode(0o640)).unwrap();
    (root, system, jobs)
}

fn adopt(dir: &Scratch, root: &Path, extra: &[&str]) -> crate::harness::Outcome {
    dir.hb_check()
        .args(["--adopt", "--discover", "--cron-root"])
        .arg(root)
        .args(extra)
        .run()
}

fn files_below(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn dry_run_apply_again_and_undo_on_system_crontabs() {
    let dir = Scratch::new();
    let (root, system, jobs) = tree(&dir);
    let dry = adopt(&dir, &root, &[]);
    dry.code(1)
        .stdout_has(&format!("--- {}\n+++ {}\n", jobs.display(), jobs.display()))
        .stdout_has(&format!(
            "-0 3 * * * root /usr/local/bin/backup.sh --full\n+0 3 * * * root {HB_WRITE} backup 1d -- /usr/local/bin/backup.sh --full\n"
        ))
        // Weekdays only: the weekend is the largest gap.
        .stdout_has(&format!(
            "+30 2 * * 1-5 backup {HB_WRITE} pg_dump 3d -- sh -c 'pg_dump app | gzip > /srv/app-$(date +\\%F).sql.gz'\n"
        ))
        .stdout_has(&format!("{}:5: left alone: `@reboot`", jobs.display()))
        .stdout_has(&format!("{}:8: left alone: it already calls hb-write", jobs.display()))
        .stdout_has(&format!("{}:6: job `pg_dump`: the command runs as one `sh -c` argument", jobs.display()))
        .stdout_has(&format!("+17 * * * * root {HB_WRITE} cron.hourly 1h -- \"$SHELL\" -c"));
    assert_eq!(
        fs::read_to_string(&jobs).unwrap(),
        JOBS,
        "a dry run writes nothing"
    );
    assert_eq!(files_below(&root.join("etc/cron.d")), ["jobs"]);

    adopt(&dir, &root, &["--apply"]).code(0);
    let adopted = fs::read_to_string(&jobs).unwrap();
    assert_ne!(adopted, JOBS);
    let meta = fs::metadata(&jobs).unwrap();
    assert_eq!(meta.mode() & 0o7777, 0o640, "the mode is kept");
    assert_eq!(
        fs::read_to_string(format!("{}.hb-adopt.bak", jobs.display())).unwrap(),
        JOBS
    );
    assert_eq!(
        fs::read_to_string(format!("{}.hb-adopt.bak", system.display())).unwrap(),
        SYSTEM
    );
    // The checker reads every adopted line as a job of that name and
    // interval, with nothing to warn about.
    let judged = dir
        .hb_check()
        .args([
            "--format",
            "json",
            "--now",
            "2026-12-07T12:00:00Z",
            "--crontab",
        ])
        .arg(&jobs)
        .run();
    let doc = judged.json();
    let mut names: Vec<(String, u64)> = doc["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| {
            let name = j["job"].as_str().unwrap().to_owned();
            (name, j["interval_seconds"].as_u64().unwrap())
        })
        .collect();
    names.sort();
    // Jobs of other users are theirs (`USER/JOB`).
    let want = [
        ("backup", 86_400),
        ("backup/pg_dump", 3 * 86_400),
        ("rotate", 86_400),
        ("www-data/artisan", 300),
    ]
    .map(|(n, i)| (n.to_owned(), i));
    assert_eq!(names, want, "{}", judged.show());
    dir.hb_check()
        .args(["--lint", "--crontab"])
        .arg(&jobs)
        .arg("--crontab")
        .arg(&system)
        .run()
        .code(0);

    // A second apply changes nothing and says so with exit 0.
    let again = adopt(&dir, &root, &["--apply"]);
    again.code(0);
    assert!(!again.stdout.contains("\n+++ "), "{}", again.show());
    assert_eq!(fs::read_to_string(&jobs).unwrap(), adopted);

    adopt(&dir, &root, &["--undo"])
        .code(0)
        .stdout_has("restored ");
    assert_eq!(fs::read(&jobs).unwrap(), JOBS.as_bytes(), "byte-identical");
    assert_eq!(
        fs::read(&system).unwrap(),
        SYSTEM.as_bytes(),
        "byte-identical"
    );
    assert_eq!(fs::metadata(&jobs).unwrap().mode() & 0o7777, 0o640);
    assert_eq!(
        files_below(&root.join("etc/cron.d")),
        ["jobs"],
        "no backup is left"
    );
}

#[test]
fn adopted_crontabs_pass_crontab_n() {
    if !skip::peer("crontab", &["-n", "/dev/null"], "cron") {
        return;
    }
    let dir = Scratch::new();
    let text = "\
MAILTO=\"\"
0 3 * * * /usr/local/bin/backup.sh --full
30 2 * * 1-5 pg_dump app | gzip > /srv/app-$(date +\\%F).sql.gz
0 8 * * 1 mail -s weekly ops%Weekly report%Bye
*/10 * * * * FOO=1 timeout 5m flock -n /run/lock/x /usr/local/bin/poll
@daily cd /srv && echo 'it'\"'\"'s done' >> log
";
    let tab = dir.write("../tab", text);
    peer_cmd("crontab").arg("-n").arg(&tab).run().code(0);
    dir.hb_check()
        .args(["--adopt", "--apply", "--crontab"])
        .arg(&tab)
        .run()
        .code(0);
    let adopted = fs::read_to_string(&tab).unwrap();
    assert_eq!(adopted.matches("hb-write").count(), 5, "{adopted}");
    peer_cmd("crontab").arg("-n").arg(&tab).run().code(0);
}

#[test]
fn only_exclude_and_slack_choose_and_widen() {
    let dir = Scratch::new();
    let (root, _, jobs) = tree(&dir);
    let only = adopt(
        &dir,
        &root,
        &["--only", "backup,artisan", "--interval-slack", "30m"],
    );
    only.code(1)
        .stdout_has(" backup 1d30m -- ")
        .stdout_has(" artisan 35m -- ");
    assert!(!only.stdout.contains("hb-write pg_dump"), "{}", only.show());
    let exclude = adopt(&dir, &root, &["--exclude", "a*", "--exclude", "cron.*"]);
    exclude.code(1).stdout_has(" pg_dump 3d -- ");
    assert!(!exclude.stdout.contains(" artisan "), "{}", exclude.show());
    assert!(
        !exclude.stdout.contains(" cron.hourly "),
        "{}",
        exclude.show()
    );
    // A pattern too large to build is refused, not dropped: dropping it
    // would adopt the very jobs it names.
    let huge = format!("{}backup", "*".repeat(20_000));
    let refused = adopt(&dir, &root, &["--apply", "--exclude", &huge]);
    refused.code(3).one_line_error(&[
        "invalid --exclude `****",
        "(20006 characters)",
        "too large to match",
    ]);
    assert_eq!(fs::read_to_string(&jobs).unwrap(), JOBS);
    let none = adopt(&dir, &root, &["--only", "nothing-by-this-name"]);
    none.code(0);
    assert_eq!(fs::read_to_string(&jobs).unwrap(), JOBS);
}

#[test]
fn hostile_crontabs_are_refused_one_line_each_and_never_written() {
    let dir = Scratch::new();
    let root = dir.root().join("sys");
    let cron_d = root.join("etc/cron.d");
    fs::create_dir_all(&cron_d).unwrap();
    let real = dir.root().join("elsewhere");
    fs::write(&real, "0 3 * * * root /bin/linked\n").unwrap();
    std::os::unix::fs::symlink(&real, cron_d.join("link")).unwrap();
    peer_cmd("mkfifo").arg(cron_d.join("fifo")).run().code(0);
    fs::write(
        cron_d.join("latin1"),
        b"0 3 * * * root /bin/ok\n0 4 * * * root /bin/caf\xe9\n",
    )
    .unwrap();
    let long = format!(
        "0 3 * * * root /bin/short\n0 4 * * * root /bin/{}\n",
        "x".repeat(950)
    );
    fs::write(cron_d.join("long"), &long).unwrap();
    fs::write(cron_d.join("open"), "0 3 * * * root /bin/open\n").unwrap();
    fs::set_permissions(cron_d.join("open"), fs::Permissions::from_mode(0o666)).unwrap();
    let many = dir.root().join("many");
    fs::write(&many, "@daily x\n".repeat(100_000)).unwrap();
    let mut users = Vec::new();
    if is_root() {
        let spool = root.join("var/spool/cron/crontabs");
        fs::create_dir_all(&spool).unwrap();
        let alice = spool.join("alice");
        fs::write(&alice, "0 3 * * * /bin/alice\n").unwrap();
        std::os::unix::fs::chown(&alice, Some(NOBODY), Some(NOBODY)).unwrap();
        users.push(alice);
    } else {
        skip::skip("only root can give a crontab to another user");
    }
    let before = |p: &Path| fs::read(p).unwrap_or_default();
    let watched: Vec<PathBuf> = ["link", "latin1", "long", "open"]
        .iter()
        .map(|n| cron_d.join(n))
        .chain([real.clone(), many.clone()])
        .chain(users.iter().cloned())
        .collect();
    let kept: Vec<Vec<u8>> = watched.iter().map(|p| before(p)).collect();

    // A refusal is exit 3 even when other lines would change.
    adopt(&dir, &root, &["--crontab", many.to_str().unwrap()])
        .code(3)
        .stdout_has("hb-write short 1d");
    let run = adopt(
        &dir,
        &root,
        &["--apply", "--crontab", many.to_str().unwrap()],
    );
    run.code(3);
    let d = cron_d.display();
    for part in [
        format!("hb-check: {d}/link: is a symbolic link"),
        format!("hb-check: {d}/fifo: "),
        format!("hb-check: {d}/latin1:2: is not UTF-8 text"),
        format!("hb-check: {d}/long:2: in wrapper form its command would be"),
        format!("hb-check: {d}/open: is writable by other users (mode 666)"),
        format!(
            "hb-check: {}:5001: more than 5000 job lines",
            many.display()
        ),
    ] {
        run.stderr_has(&part);
    }
    if let Some(alice) = users.first() {
        run.stderr_has(&format!(
            "hb-check: {}: is owned by uid 65534, not by `alice`",
            alice.display()
        ));
    }
    for line in run.stderr.lines() {
        assert!(
            line.starts_with("hb-check: "),
            "one line each: {}",
            run.show()
        );
    }
    // The long file's short line was adopted; nothing else was written.
    assert!(fs::read_to_string(cron_d.join("long"))
        .unwrap()
        .contains("hb-write short 1d"));
    for (path, old) in watched.iter().zip(&kept) {
        if !path.ends_with("long") {
            assert_eq!(&before(path), old, "{} was written", path.display());
        }
    }
    assert_eq!(
        files_below(&cron_d),
        [
            "fifo",
            "latin1",
            "link",
            "long",
            "long.hb-adopt.bak",
            "open"
        ]
    );
}

/// Removes `nobody`'s crontab and stops the cron daemon this test started,
/// however the test ends.
struct LiveCron {
    daemon: Option<std::process::Child>,
}

impl Drop for LiveCron {
    fn drop(&mut self) {
        if let Some(mut daemon) = self.daemon.take() {
            // SIGTERM lets cron remove its pid file; SIGKILL if it lingers.
            if let Ok(pid) = i32::try_from(daemon.id()) {
                // SAFETY: kill has no memory effects; the pid is our child's.
                unsafe { libc::kill(pid, libc::SIGTERM) };
            }
            for _ in 0..40 {
                if daemon.try_wait().ok().flatten().is_some() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            let _ = daemon.kill();
            let _ = daemon.wait();
            // cron leaves its pid file behind; it is ours to remove.
            let pid_file = Path::new("/run/crond.pid");
            if fs::read_to_string(pid_file).is_ok_and(|p| p.trim() == daemon.id().to_string()) {
                let _ = fs::remove_file(pid_file);
            }
        }
        let _ = std::process::Command::new("crontab")
            .args(["-u", "nobody", "-r"])
            .stderr(std::process::Stdio::null())
            .status();
    }
}

#[test]
fn a_user_crontab_is_installed_run_by_cron_and_undone() {
    const SPOOL_FILE: &str = "/var/spool/cron/crontabs/nobody";
    const CRON: &str = "/usr/sbin/cron";
    if !is_root() {
        skip::skip("installing another user's crontab needs root");
        return;
    }
    if !skip::peer("crontab", &["-n", "/dev/null"], "cron") {
        return;
    }
    if !Path::new(CRON).is_file() {
        skip::skip("the cron daemon /usr/sbin/cron is not installed (Debian package `cron`)");
        return;
    }
    if Path::new(SPOOL_FILE).exists() {
        skip::skip("`nobody` already has a crontab, which this test would replace");
        return;
    }
    let dir = Scratch::new();
    let hb = dir.root().join("nobody-hb");
    fs::create_dir(&hb).unwrap();
    std::os::unix::fs::chown(&hb, Some(NOBODY), Some(NOBODY)).unwrap();
    let text = format!(
        "# nobody's jobs\nMAILTO=\"\"\nHB_DIR={}\n* * * * * /usr/bin/id -u\n",
        hb.display()
    );
    let mut live = LiveCron { daemon: None };
    peer_cmd("crontab")
        .args(["-u", "nobody", "-"])
        .stdin(text.clone())
        .run()
        .code(0);
    let listed = || peer_cmd("crontab").args(["-u", "nobody", "-l"]).run().ok();
    assert_eq!(listed(), text);

    dir.hb_check()
        .args(["--adopt", "--apply", "--crontab", SPOOL_FILE])
        .run()
        .code(0)
        .stdout_has("+* * * * * ");
    let adopted = listed();
    assert!(
        adopted.contains(&format!("* * * * * {HB_WRITE} id 1m -- /usr/bin/id -u\n")),
        "{adopted}"
    );
    assert!(
        adopted.starts_with("# nobody's jobs\nMAILTO=\"\"\n"),
        "{adopted}"
    );
    let backup = dir.state().join("cron-heartbeat/adopt/nobody.hb-adopt.bak");
    assert_eq!(fs::read_to_string(&backup).unwrap(), text);

    // The real daemon runs the adopted line at the next minute.
    let daemon = std::process::Command::new(CRON)
        .arg("-f")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    live.daemon = Some(daemon);
    let beat = hb.join("id.last");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(75);
    let mut started = true;
    while !beat.exists() && std::time::Instant::now() < deadline {
        if let Some(status) = live.daemon.as_mut().unwrap().try_wait().unwrap() {
            started = false;
            skip::skip(&format!(
                "the cron daemon stopped at once ({status}): another one runs"
            ));
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    if started {
        let record = fs::read_to_string(&beat).unwrap_or_else(|_| {
            panic!(
                "cron ran no adopted line within 75 s; {}",
                dir.hb_check().list(&hb).run().show()
            )
        });
        let record: serde_json::Value = serde_json::from_str(record.trim()).unwrap();
        assert_eq!(record["job"], "id", "{record}");
        assert_eq!(record["interval_seconds"], 60, "{record}");
    }

    dir.hb_check()
        .args(["--adopt", "--undo", "--crontab", SPOOL_FILE])
        .run()
        .code(0)
        .stdout_has("restored ");
    assert_eq!(
        listed(),
        text,
        "`crontab -l` shows the original, byte for byte"
    );
    assert!(!backup.exists());
}
