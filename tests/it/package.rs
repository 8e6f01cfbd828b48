//! What the Debian package installs besides the binaries, checked by the
//! programs that read it: man pages through man(1), completions through the
//! shells, the cron.d line through /bin/sh, /etc/default/cron-heartbeat
//! against the variables the tools know. (.ci/run builds, lintians,
//! installs and purges the package itself.)

use crate::harness;

use crate::gen_docs;

use std::fs;
use std::path::{Path, PathBuf};

use harness::{peer_cmd, skip, Scratch, HB_CHECK, NIGHT_WATCH};

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

#[test]
fn the_cron_d_line_runs_hb_check_only_where_systemd_does_not() {
    let s = Scratch::new();
    s.ok("backup");
    let metrics = s.root().join("cron_heartbeat.prom");
    let defaults = s.root().join("default");
    fs::write(
        &defaults,
        format!(
            "HB_DIR={}\nHB_METRICS_FILE={}\nHB_NOW=2026-11-22T04:00:00Z\n",
            s.hb().display(),
            metrics.display()
        ),
    )
    .unwrap();
    let bin_dir = Path::new(HB_CHECK).parent().unwrap();
    let command = cron_d_command();
    assert!(command.contains("/etc/default/cron-heartbeat"), "{command}");
    let run = |systemd_dir: &Path| {
        let line = command
            .replace("/etc/default/cron-heartbeat", &defaults.to_string_lossy())
            .replace("/run/systemd/system", &systemd_dir.to_string_lossy());
        s.cmd("/bin/sh")
            .env("PATH", format!("{}:/usr/bin:/bin", bin_dir.display()))
            .args(["-c", &line])
            .run()
    };
    // Booted with systemd: the timer runs hb-check; the line does nothing.
    run(&s.home()).code(0).silent();
    assert!(!metrics.exists(), "hb-check ran beside the systemd timer");
    // Without systemd: hb-check runs with the settings of the defaults file.
    run(&s.root().join("no-such-dir")).code(0).silent();
    let text = fs::read_to_string(&metrics).expect("hb-check wrote its metrics");
    assert!(
        text.contains(r#"cron_heartbeat_status{cron_job="backup",host="web1",status="ok"} 1"#),
        "{text}"
    );
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
