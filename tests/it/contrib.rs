//! The files in contrib/, checked by the programs that will read them:
//! Debian cron's `crontab -n` and `systemd-analyze verify`.

use crate::harness;

use crate::gen_docs;

use std::fs;
use std::path::{Path, PathBuf};

use harness::{peer_cmd, skip, Scratch, HB_WRITE};

fn contrib(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("contrib")
        .join(relative)
}

/// Whether `program` runs at all; when it does not, the test skips
/// visibly, except under CI, where the peer must be installed.
fn peer_available(program: &str, package: &str) -> bool {
    skip::peer(program, &["--help"], package)
}

fn crontab_lines() -> Vec<String> {
    fs::read_to_string(contrib("cron/crontab"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_crontab_passes_crons_own_syntax_check() {
    if !peer_available("crontab", "cron") {
        return;
    }
    let out = peer_cmd("crontab")
        .arg("-n")
        .arg(contrib("cron/crontab"))
        .run();
    out.code(0);
    assert!(
        out.stderr.contains("successfully checked"),
        "{}",
        out.show()
    );
    // A broken line must fail the same check, or the check proves nothing.
    let s = Scratch::new();
    let broken = s.root().join("broken");
    fs::write(&broken, "61 3 * * * hb-write backup 1d\n").unwrap();
    peer_cmd("crontab").arg("-n").arg(&broken).run().code(1);
}

#[test]
fn the_crontab_has_the_checker_and_the_morning_mail() {
    let lines = crontab_lines();
    assert!(lines.iter().any(|l| l.starts_with("*/15 * * * * hb-check")));
    assert!(lines.iter().any(|l| l
        .contains(r#"night-watch --panel | mail -s "$(night-watch --subject)" ops@example.com"#)));
}

#[test]
fn every_hb_write_in_the_crontab_is_accepted_by_hb_write() {
    let s = Scratch::new();
    let bin_dir = Path::new(HB_WRITE).parent().unwrap();
    let mut seen = 0;
    for line in crontab_lines() {
        let Some(at) = line.find("hb-write ") else {
            continue;
        };
        // The job before it succeeded: `$?` is 0.
        let command = line[at..].replace("$?", "0");
        let out = s
            .cmd("/bin/sh")
            .env("PATH", format!("{}:/usr/bin:/bin", bin_dir.display()))
            .env("HB_DIR", s.hb())
            .args(["-c", &command])
            .run();
        out.code(0).silent();
        seen += 1;
    }
    assert!(seen >= 3, "the example shows several hb-write lines");
    assert_eq!(
        harness::listing(&s.hb()),
        [
            "backup.history",
            "backup.last",
            "etc-archive.history",
            "etc-archive.last",
            "rotate-logs.history",
            "rotate-logs.last",
            "sync-mirror.history",
            "sync-mirror.last"
        ]
    );
}

#[test]
fn the_systemd_units_pass_systemd_analyze_verify() {
    if !peer_available("systemd-analyze", "systemd") {
        return;
    }
    let s = Scratch::new();
    let bin_dir = Path::new(HB_WRITE).parent().unwrap();
    let mut units = Vec::new();
    for entry in fs::read_dir(contrib("systemd")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let unit = Path::new(&name).extension().and_then(|e| e.to_str());
        if !matches!(unit, Some("service" | "timer")) {
            continue;
        }
        // verify checks that ExecStart= exists: point it at the built binary
        // (installed, systemd finds it in /usr/bin or /usr/local/bin).
        let text = fs::read_to_string(&path).unwrap().replace(
            "ExecStart=hb-check",
            &format!("ExecStart={}/hb-check", bin_dir.display()),
        );
        let copy = s.root().join(&name);
        fs::write(&copy, text).unwrap();
        units.push(copy);
    }
    assert!(units.len() >= 4, "services and timers: {units:?}");
    // verify also runs man(1) for every `Documentation=man:` page: only the
    // pages this project generates are on MANPATH, so the units pass
    // whether or not cron, or anything else, is installed.
    let docs = s.root().join("docs");
    gen_docs::generate(&docs).expect("generate the man pages");
    let out = peer_cmd("systemd-analyze")
        .env("MANPATH", docs.join("man"))
        .arg("verify")
        .args(&units)
        .run();
    out.code(0);
    // verify exits 0 on unknown keys and bad values; it only warns.
    assert!(out.stderr.trim().is_empty(), "warnings{}", out.show());

    let broken = s.root().join("broken.service");
    fs::write(&broken, "[Service]\nType=oneshoot\nExecStart=/bin/true\n").unwrap();
    let out = peer_cmd("systemd-analyze").arg("verify").arg(&broken).run();
    assert!(
        out.stderr.contains("oneshoot"),
        "the check catches a typo{}",
        out.show()
    );
}

#[test]
fn the_morning_mail_line_sends_the_panel_with_the_counts_as_subject() {
    let s = Scratch::new();
    s.write(
        "backup.last",
        r#"{"version":1,"job":"backup","timestamp":"2026-11-22T03:00:00Z","interval_seconds":3600,"host":"web1","pid":1,"status":"ok"}"#,
    );
    // A stand-in for mail(1) that keeps what cron's line hands it.
    s.stand_in(
        "mail",
        "printf '%s\\n' \"$@\" > \"$HOME/mail.args\"\ncat > \"$HOME/mail.body\"\n",
    );
    let line = crontab_lines()
        .into_iter()
        .find(|l| l.contains("night-watch --panel"))
        .expect("the morning-mail line");
    let command = line
        .splitn(6, ' ')
        .nth(5)
        .expect("five time fields, then the command");
    let bin_dir = Path::new(HB_WRITE).parent().unwrap();
    s.cmd("/bin/sh")
        .env("PATH", s.path_with_stand_ins(&[bin_dir]))
        .env("HB_DIR", s.hb())
        .env("HB_HOST", "web1")
        .env("HB_NOW", "2026-11-22T07:30:00Z")
        .args(["-c", command])
        .run()
        .code(0)
        .silent();
    let args = fs::read_to_string(s.home().join("mail.args")).unwrap();
    assert_eq!(args, "-s\nnight-watch web1: 1 stale\nops@example.com\n");
    let body = fs::read_to_string(s.home().join("mail.body")).unwrap();
    assert!(body.contains("| backup | stale  |"), "{body}");
    assert!(!body.contains('\x1b'), "plain text for a mail: {body:?}");
}

#[test]
fn the_demo_runs_without_a_server() {
    let s = Scratch::new();
    let bin_dir = Path::new(HB_WRITE).parent().unwrap();
    let out = s
        .cmd("/bin/sh")
        .env("HB_BIN", bin_dir)
        .arg(contrib("demo.sh"))
        .run();
    out.code(0);
    for part in [
        "sync-mirror failed",
        "rotate-logs stale",
        "billing missing",
        "(exit code 2",
        "night-watch report for",
        "Needs attention",
        "disk full",
    ] {
        assert!(
            out.stdout.contains(part),
            "demo output should show {part:?}{}",
            out.show()
        );
    }
}

#[test]
fn the_demo_says_that_it_builds_before_the_build_starts() {
    let s = Scratch::new();
    // A `cargo` of the test's own, first on the PATH: it notes that it ran
    // and fails, so the demo stops right after it.
    s.stand_in("cargo", "echo \"$*\" > \"$HOME/cargo.args\"\nexit 1\n");
    let out = s
        .cmd("/bin/sh")
        .env("PATH", s.path_with_stand_ins(&[]))
        .arg(contrib("demo.sh"))
        .run();
    assert_ne!(out.status, Some(0), "{}", out.show());
    let args = fs::read_to_string(s.home().join("cargo.args")).unwrap();
    assert!(args.starts_with("build --release"), "{args}{}", out.show());
    out.stdout_has("Building hb-write, hb-check and night-watch");
}

#[test]
fn the_demo_runs_what_cargo_built_where_cargo_target_dir_says() {
    let s = Scratch::new();
    s.stand_in("cargo", "exit 0\n");
    // What the build left in CARGO_TARGET_DIR: an hb-write that notes it
    // ran and stops the demo.
    let release = s.root().join("target-elsewhere/release");
    fs::create_dir_all(&release).unwrap();
    let hb_write = s.stand_in(
        "hb-write",
        "echo \"$*\" > \"$HOME/hb-write.args\"\nexit 1\n",
    );
    fs::rename(&hb_write, release.join("hb-write")).unwrap();
    let out = s
        .cmd("/bin/sh")
        .env("PATH", s.path_with_stand_ins(&[]))
        .env("CARGO_TARGET_DIR", s.root().join("target-elsewhere"))
        .arg(contrib("demo.sh"))
        .run();
    assert_ne!(out.status, Some(0), "{}", out.show());
    let args = fs::read_to_string(s.home().join("hb-write.args"));
    assert_eq!(args.ok().as_deref(), Some("backup 1d\n"), "{}", out.show());
}
