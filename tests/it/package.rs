//! What the Debian package installs besides the binaries, checked by the
//! programs that read it: man pages through man(1), completions through the
//! shells, the cron.d line, its helper and the postinst through /bin/sh,
//! /etc/default/cron-heartbeat against the variables the tools know. (.ci/run builds, lintians,
//! installs and purges the package itself.)

use crate::harness;

use crate::gen_docs;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use harness::{peer_cmd, skip, Outcome, Scratch, HB_CHECK, NIGHT_WATCH};

fn repo(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn generated(s: &Scratch) -> PathBuf {
    let out = s.root().join("assets");
    gen_docs::generate(&out).expect("generate the man pages and completions");
    out
}

#[test]
fn every_binary_has_a_man_page_that_man_renders_without_warnings() {
    if !skip::peer("man", &["--version"], "man-db") {
        return;
    }
    let s = Scratch::new();
    let out = generated(&s);
    for (name, flags) in [
        (
            "hb-check",
            &["--metrics-file", "--tracker-url", "HB_DIR"][..],
        ),
        (
            "night-watch",
            &["--panel", "--subject", "HB_REPORT_FORMAT"][..],
        ),
        (
            "hb-write",
            &["--max-runtime", "--singleton", "HB_PING_URL"][..],
        ),
    ] {
        let page = out.join("man/man1").join(format!("{name}.1"));
        let shown = peer_cmd("man")
            .args(["--warnings", "-l"])
            .arg(&page)
            .env("MANWIDTH", "80")
            .run();
        shown.code(0);
        assert!(
            shown.stderr.trim().is_empty(),
            "groff warnings{}",
            shown.show()
        );
        // man justifies the NAME line, so compare with the spaces folded.
        let folded = shown
            .stdout
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            folded.contains(&format!("{name} - ")),
            "no NAME line for {name}{}",
            shown.show()
        );
        for flag in flags {
            shown.stdout_has(flag);
        }
    }
}

#[test]
fn the_bash_completion_completes_the_flags() {
    if !skip::peer("bash", &["--version"], "bash") {
        return;
    }
    let s = Scratch::new();
    let out = generated(&s);
    let script = out.join("completions/bash/hb-check");
    let run = peer_cmd("bash")
        .arg("-c")
        .arg(format!(
            ". {}; f=$(complete -p hb-check | sed 's/.* -F \\([^ ]*\\) .*/\\1/'); COMP_WORDS=(hb-check --tracker-t); COMP_CWORD=1; \"$f\" hb-check --tracker-t hb-check; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display()
        ))
        .run();
    run.code(0);
    let offered: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        offered,
        ["--tracker-token-file", "--tracker-timeout"],
        "{}",
        run.show()
    );
}

#[test]
fn the_zsh_completion_parses() {
    if !skip::peer("zsh", &["--version"], "zsh") {
        return;
    }
    let s = Scratch::new();
    let script = generated(&s).join("completions/zsh/_hb-check");
    assert!(fs::read_to_string(&script)
        .unwrap()
        .contains("--metrics-file"));
    peer_cmd("zsh")
        .arg("-n")
        .arg(&script)
        .run()
        .code(0)
        .silent();
}

#[test]
fn the_fish_completion_completes_the_flags() {
    if !skip::peer("fish", &["--version"], "fish") {
        return;
    }
    let s = Scratch::new();
    let script = generated(&s).join("completions/fish/hb-check.fish");
    let run = s
        .cmd("fish")
        .arg("-c")
        .arg(format!(
            "source {}; complete -C 'hb-check --tracker-t'",
            script.display()
        ))
        .run();
    run.code(0);
    let offered: Vec<&str> = run
        .stdout
        .lines()
        .filter_map(|l| l.split('\t').next())
        .collect();
    assert_eq!(
        offered,
        ["--tracker-timeout", "--tracker-token-file"],
        "{}",
        run.show()
    );
}

/// The command of the cron.d line: after five time fields and the user.
fn cron_d_command() -> String {
    let text = fs::read_to_string(repo("contrib/cron/cron-heartbeat.cron.d")).unwrap();
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#') && !l.contains('='))
        .collect();
    assert_eq!(lines.len(), 1, "one job line: {lines:?}");
    let fields: Vec<&str> = lines[0].splitn(7, ' ').collect();
    assert_eq!(fields[..6], ["*/15", "*", "*", "*", "*", "root"]);
    fields[6].to_owned()
}

const HELPER: &str = "/usr/lib/cron-heartbeat/hb-check-from-cron";

/// Runs the cron.d line with /bin/sh as cron would, with the package's
/// paths moved into the scratch area: the settings file `settings`, the
/// directory that exists while systemd is the init `systemd`, and the
/// helper and `/usr/bin/hb-check` as installed (`installed`) or removed.
fn cron_d_run(
    s: &Scratch,
    settings: &Path,
    systemd: &Path,
    installed: bool,
    path: &str,
) -> Outcome {
    let command = cron_d_command();
    assert!(
        command.starts_with("[ -x /usr/bin/hb-check ] && "),
        "{command}"
    );
    assert!(command.contains(HELPER), "{command}");
    let lib = s.root().join("lib");
    let helper = lib.join("hb-check-from-cron");
    let guard = lib.join("hb-check");
    if installed {
        let text = fs::read_to_string(repo("contrib/cron/hb-check-from-cron")).unwrap();
        assert!(
            text.contains("/etc/default/cron-heartbeat") && text.contains("/run/systemd/system")
        );
        let text = text
            .replace("/etc/default/cron-heartbeat", &settings.to_string_lossy())
            .replace("/run/systemd/system", &systemd.to_string_lossy());
        fs::create_dir_all(&lib).unwrap();
        fs::write(&helper, text).unwrap();
        fs::set_permissions(&helper, fs::Permissions::from_mode(0o755)).unwrap();
        fs::copy(HB_CHECK, &guard).unwrap();
    }
    let line = command
        .replace("/usr/bin/hb-check", &guard.to_string_lossy())
        .replace(HELPER, &helper.to_string_lossy());
    s.cmd("/bin/sh").env("PATH", path).args(["-c", &line]).run()
}

#[test]
fn the_cron_d_line_runs_hb_check_only_where_systemd_does_not() {
    let s = Scratch::new();
    s.ok("backup");
    let metrics = s.root().join("cron_heartbeat.prom");
    let settings = s.root().join("default");
    fs::write(
        &settings,
        format!(
            "HB_DIR={}\nHB_METRICS_FILE={}\nHB_NOW=2026-11-22T04:00:00Z\n",
            s.hb().display(),
            metrics.display()
        ),
    )
    .unwrap();
    let bin_dir = Path::new(HB_CHECK).parent().unwrap();
    let path = format!("{}:/usr/bin:/bin", bin_dir.display());
    // Booted with systemd: the timer runs hb-check; the line does nothing.
    cron_d_run(&s, &settings, &s.home(), true, &path)
        .code(0)
        .silent();
    assert!(!metrics.exists(), "hb-check ran beside the systemd timer");
    // Without systemd: hb-check runs with the settings of the defaults file.
    let no_systemd = s.root().join("no-such-dir");
    cron_d_run(&s, &settings, &no_systemd, true, &path)
        .code(0)
        .silent();
    let text = fs::read_to_string(&metrics).expect("hb-check wrote its metrics");
    assert!(
        text.contains(r#"cron_heartbeat_status{cron_job="backup",host="web1",status="ok"} 1"#),
        "{text}"
    );
}

#[test]
fn the_cron_d_line_says_nothing_once_the_package_is_removed() {
    // `apt remove` takes the tools and the helper and leaves the cron.d
    // file (a conffile) and the settings.
    let s = Scratch::new();
    let settings = s.root().join("default");
    fs::write(&settings, "HB_DISCOVER=1\n").unwrap();
    let out = cron_d_run(
        &s,
        &settings,
        &s.root().join("no-such-dir"),
        false,
        harness::PATH,
    );
    out.silent();
    assert_ne!(out.status, Some(127), "{}", out.show());
}

/// What the stand-in hb-check was started with: its arguments, then its
/// environment, one `KEY=value` a line.
fn seen_by_hb_check(s: &Scratch) -> (String, Vec<String>) {
    let args = fs::read_to_string(s.home().join("hb-check.args")).unwrap();
    let env = fs::read_to_string(s.home().join("hb-check.env")).unwrap();
    (args, env.lines().map(str::to_owned).collect())
}

#[test]
fn the_cron_run_reads_the_settings_as_systemd_does_and_mails_only_changes() {
    let s = Scratch::new();
    s.stand_in(
        "hb-check",
        "printf '%s\\n' \"$@\" > \"$HOME/hb-check.args\"\nenv > \"$HOME/hb-check.env\"\n",
    );
    let settings = s.root().join("default");
    // Values a shell would expand, redirect or choke on; systemd takes them
    // as written. The last line has no newline.
    fs::write(
        &settings,
        "# HB_EXPECT=commented\n; HB_GRACE=1h\n\nHB_DISCOVER=1\n  HB_EXPECT=backup,alice/report  \n\
         HB_MAIL_FROM=Cron <cron@example.com>\nHB_TRACKER_REPO=ops/$HOME`id`;x\n\
         HB_TRACKER_KIND=\"gitea\"\nnot a setting\nHB_GRACE=30m",
    )
    .unwrap();
    let path = s.path_with_stand_ins(&[]);
    let out = cron_d_run(&s, &settings, &s.root().join("no-such-dir"), true, &path);
    out.code(0).silent();
    let (args, env) = seen_by_hb_check(&s);
    assert_eq!(args, "\n", "no arguments: the settings say it all");
    for want in [
        "HB_CHANGES_ONLY=1",
        "HB_DISCOVER=1",
        "HB_EXPECT=backup,alice/report",
        "HB_MAIL_FROM=Cron <cron@example.com>",
        "HB_TRACKER_REPO=ops/$HOME`id`;x",
        "HB_TRACKER_KIND=gitea",
        "HB_GRACE=30m",
    ] {
        assert!(env.iter().any(|l| l == want), "{want} in {env:#?}");
    }
    let hb: Vec<&String> = env.iter().filter(|l| l.starts_with("HB_")).collect();
    assert_eq!(hb.len(), 7, "{hb:#?}");

    // The settings may ask for a mail every 15 minutes.
    fs::write(&settings, "HB_CHANGES_ONLY=0\n").unwrap();
    cron_d_run(&s, &settings, &s.root().join("no-such-dir"), true, &path)
        .code(0)
        .silent();
    let (_, env) = seen_by_hb_check(&s);
    assert!(env.iter().any(|l| l == "HB_CHANGES_ONLY=0"), "{env:#?}");
}

/// Runs the postinst's `configure` with its paths moved into the scratch
/// area (`systemd`: the directory that exists while systemd is the init).
fn postinst(s: &Scratch, systemd: &Path) -> Outcome {
    let text = fs::read_to_string(repo("contrib/debian/postinst")).unwrap();
    let text = text
        .replace(
            "/var/lib/cron-heartbeat",
            &s.root().join("state-dir").to_string_lossy(),
        )
        .replace("/run/systemd/system", &systemd.to_string_lossy())
        .replace("-o root -g root ", "");
    let script = s.root().join("postinst");
    fs::write(&script, text).unwrap();
    s.cmd("/bin/sh").arg(&script).arg("configure").run()
}

#[test]
fn the_postinst_says_in_one_line_that_cron_takes_over_without_systemd() {
    let s = Scratch::new();
    postinst(&s, &s.home()).code(0).silent();
    let out = postinst(&s, &s.root().join("no-such-dir"));
    out.code(0);
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.show());
    assert_eq!(out.stderr, "", "{}", out.show());
    for part in [
        "systemd is not running",
        "/etc/cron.d/cron-heartbeat",
        "cron runs",
    ] {
        out.stdout_has(part);
    }
    assert!(s.root().join("state-dir/users").is_dir(), "{}", out.show());
}

#[test]
fn every_variable_in_the_defaults_file_is_one_the_tools_read() {
    let text = fs::read_to_string(repo("contrib/default/cron-heartbeat")).unwrap();
    let help: String = [HB_CHECK, NIGHT_WATCH]
        .iter()
        .map(|bin| peer_cmd(bin).arg("--help").run().stdout)
        .collect();
    let names: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim_start_matches('#').split_once('='))
        .map(|(name, _)| name)
        .filter(|name| name.starts_with("HB_"))
        .collect();
    assert!(names.len() >= 5, "{names:?}");
    for name in names {
        assert!(
            // `[env: NAME=value]`, or `[env: NAME]` where the value is
            // hidden (a ping URL is a secret).
            help.contains(&format!("env: {name}=")) || help.contains(&format!("env: {name}]")),
            "{name} in contrib/default/cron-heartbeat is read by nothing"
        );
    }
}
