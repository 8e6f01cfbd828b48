//! The catalogue of bad inputs: every kind of bad value the tools can be
//! given (job names, intervals, flags, environment values, heartbeat file
//! contents and kinds, tracker answers), each with the exit code and the
//! message it must produce. Every row runs the real binary. The README's
//! "Failure behaviour" table is generated from this catalogue and checked
//! against it: after a deliberate change, rewrite it with
//! `UPDATE_SNAPSHOTS=1 cargo test --test it catalogue` and review the diff.

use crate::harness;

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;

use harness::forge::{github, Fault};
use harness::snapshot::assert_same;
use harness::{is_root, Scratch, NOW};
use serde_json::json;

/// Which program a case runs.
#[derive(Clone, Copy)]
enum Program {
    Write,
    Check,
    Watch,
}

impl Program {
    fn name(self) -> &'static str {
        match self {
            Program::Write => "hb-write",
            Program::Check => "hb-check",
            Program::Watch => "night-watch",
        }
    }
}

/// A heartbeat file put in the directory before the run, as `<job>.last`.
#[derive(Clone, Copy)]
enum Beat {
    /// No file.
    None,
    /// A file with these bytes.
    Bytes(&'static [u8]),
    /// A file of this many spaces.
    Size(usize),
    /// A directory.
    Dir,
    /// A symbolic link to this target.
    Link(&'static str),
    /// A FIFO, which a blocking reader would wait on forever.
    Fifo,
    /// A file with these bytes and mode 000, read by `nobody` when root.
    Unreadable(&'static [u8]),
}

/// What the tracker answers every request with.
#[derive(Clone, Copy)]
enum Answer {
    Status(u16),
    NotAList,
}

/// One bad input and what it must produce.
struct Case {
    /// What kind of input is bad.
    input: &'static str,
    /// The bad value, as the README shows it.
    example: &'static str,
    program: Program,
    args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
    job: &'static str,
    beat: Beat,
    tracker: Option<Answer>,
    /// The exit code.
    exit: i32,
    /// A part of the one line the case prints (stderr, or stdout for a
    /// verdict on a heartbeat).
    says: &'static str,
}

const fn case(input: &'static str, example: &'static str, program: Program) -> Case {
    Case {
        input,
        example,
        program,
        args: &[],
        env: &[],
        job: "job",
        beat: Beat::None,
        tracker: None,
        exit: 2,
        says: "",
    }
}

const RULE: &str = "(a job name matches [A-Za-z0-9][A-Za-z0-9._-]{0,127})";
const UNITS: &str = "expected whole seconds or a duration such as `90s`, `5m`, `1h30m`, `1d`, `1w`";

fn record(job: &str, timestamp: &str, interval: &str, status: &str) -> String {
    format!(
        r#"{{"version":1,"job":"{job}","timestamp":"{timestamp}","interval_seconds":{interval},"host":"web1","pid":1,"status":"{status}"}}"#
    )
}

fn leak_args(args: Vec<String>) -> &'static [&'static str] {
    let args: Vec<&'static str> = args.into_iter().map(|a| &*a.leak()).collect();
    args.leak()
}

fn catalogue() -> Vec<Case> {
    use Program::{Check, Watch, Write};
    // Records are built at run time; these leak into 'static once.
    let leak = |s: String| -> &'static [u8] { Box::leak(s.into_bytes().into_boxed_slice()) };
    let other_job = leak(record("other", "2026-11-22T03:59:00Z", "300", "ok"));
    let future = leak(record("job", "2026-11-23T04:00:00Z", "300", "ok"));
    let zero_interval = leak(record("job", "2026-11-22T03:59:00Z", "0", "ok"));
    let bad_status = leak(record("job", "2026-11-22T03:59:00Z", "300", "maybe"));
    // A run that may last longer than any interval is no bound: a hung
    // job would never alert.
    let endless_run = leak(
        record("job", "2026-11-22T03:59:00Z", "300", "running")
            .replace('}', r#","max_runtime_seconds":18446744073709551615}"#),
    );
    let version_2 = leak(
        record("job", "2026-11-22T03:59:00Z", "300", "ok")
            .replace(r#""version":1"#, r#""version":2"#),
    );
    let fresh = leak(record("job", "2026-11-22T03:59:00Z", "300", "ok"));
    vec![
        // Job names.
        Case {
            args: &["", "5m"],
            says: "it is empty (a job name matches [A-Za-z0-9][A-Za-z0-9._-]{0,127})",
            ..case("job name", "empty", Write)
        },
        Case {
            args: &[".hidden", "5m"],
            says: "invalid job name `.hidden`: it must start with a letter or digit",
            ..case("job name", "`.hidden`", Write)
        },
        Case {
            args: &["a/b", "5m"],
            says: "invalid job name `a/b`: only letters, digits, `.`, `_` and `-` are allowed",
            ..case("job name", "`a/b`", Write)
        },
        Case {
            args: &["bad name", "5m"],
            says: RULE,
            ..case("job name", "`bad name`", Write)
        },
        Case {
            args: leak_args(vec!["x".repeat(129), "5m".to_owned()]),
            says: "it is longer than 128 characters",
            ..case("job name", "129 characters", Write)
        },
        Case {
            args: &["--expect", "a/b/c"],
            env: &[("HB_NOW", NOW)],
            exit: 3,
            says: "hb-check: invalid value 'a/b/c' for '--expect <JOB>'",
            ..case("job name", "`--expect a/b/c`", Check)
        },
        // Intervals.
        Case {
            args: &["job", "0"],
            says: "hb-write: invalid interval `0`: it must be at least 1 second",
            ..case("interval", "`0`", Write)
        },
        Case {
            args: &["job", "401d"],
            says: "invalid interval `401d`: it must be at most 400 days",
            ..case("interval", "`401d`", Write)
        },
        Case {
            args: &["job", "24"],
            says: "hb-write: invalid interval `24`: `24` is 24 seconds, shorter than cron's minute; write 24h or 24s",
            ..case("interval", "`24` (a number without a unit, below a minute)", Write)
        },
        Case {
            args: &["job", "5x"],
            says: UNITS,
            ..case("interval", "`5x`", Write)
        },
        Case {
            args: &["job", "1m1h"],
            says: "invalid interval `1m1h`: expected whole seconds",
            ..case("interval", "`1m1h` (units out of order)", Write)
        },
        Case {
            args: &["job", "99999999999999999999"],
            says: "invalid interval `99999999999999999999`: it is too large",
            ..case("interval", "`99999999999999999999`", Write)
        },
        Case {
            args: &["--default-interval", "0"],
            env: &[("HB_NOW", NOW)],
            exit: 3,
            says: "hb-check: invalid value '0' for '--default-interval <INTERVAL>'",
            ..case("interval", "`--default-interval 0`", Check)
        },
        // Other durations: at most 400 days, as an interval.
        Case {
            args: &["--max-runtime", "401d", "job", "1d", "--", "true"],
            says: "hb-write: invalid value '401d' for '--max-runtime <DURATION>': invalid duration `401d`: it must be at most 400 days",
            ..case("duration", "`--max-runtime 401d`", Write)
        },
        Case {
            args: &["--pause", "401d", "job"],
            says: "hb-write: invalid pause `401d`: it must be at most 400 days",
            ..case("duration", "`--pause 401d`", Write)
        },
        Case {
            args: &["--pause", "2", "job"],
            says: "hb-write: invalid pause `2`: `2` is 2 seconds, shorter than cron's minute; write 2h or 2s",
            ..case("duration", "`--pause 2`", Write)
        },
        Case {
            args: &["--grace", "401d"],
            exit: 3,
            says: "night-watch: invalid value '401d' for '--grace <DURATION>': invalid grace `401d`: it must be at most 400 days",
            ..case("duration", "`--grace 401d`", Watch)
        },
        Case {
            args: &["--lock-timeout", "401d"],
            exit: 3,
            says: "hb-check: invalid value '401d' for '--lock-timeout <DURATION>': invalid duration `401d`: it must be at most 400 days",
            ..case("duration", "`--lock-timeout 401d`", Check)
        },
        Case {
            env: &[("HB_REMIND", "401d")],
            exit: 3,
            says: "hb-check: invalid value '401d' for '--remind <DURATION>': invalid duration `401d`: it must be at most 400 days",
            ..case("duration", "`HB_REMIND=401d`", Check)
        },
        Case {
            args: &["--tracker-timeout", "3m"],
            exit: 3,
            says: "hb-check: invalid value '3m' for '--tracker-timeout <DURATION>': invalid duration `3m`: it must be at most 120s",
            ..case("duration", "`--tracker-timeout 3m`", Check)
        },
        // Flags.
        Case {
            args: &["--bogus"],
            says: "hb-write: unexpected argument '--bogus' found",
            ..case("flag", "`--bogus`", Write)
        },
        Case {
            args: &[],
            says: "hb-write: the following required arguments were not provided",
            ..case("flag", "no arguments", Write)
        },
        Case {
            args: &["--status", "maybe", "job", "5m"],
            says: "invalid value 'maybe' for '--status <STATUS>' [possible values: ok, fail]",
            ..case("flag", "`--status maybe`", Write)
        },
        Case {
            args: &["--exit-code", "x", "job", "5m"],
            says: "invalid value 'x' for '--exit-code <N>': an exit code is a whole number, such as 0 or 3 (`--exit-code $?`)",
            ..case("flag", "`--exit-code x`", Write)
        },
        Case {
            args: &["--factor", "1"],
            exit: 3,
            says: "hb-check: invalid value '1' for '--factor <F>': the factor must be a number greater than 1",
            ..case("flag", "`--factor 1`", Check)
        },
        Case {
            args: &["--tracker-remind", "0"],
            exit: 3,
            says: "hb-check: invalid value '0' for '--tracker-remind <DURATION>': invalid interval `0`: it must be at least 1 second",
            ..case("flag", "`--tracker-remind 0`", Check)
        },
        Case {
            args: &["--format", "xml"],
            exit: 3,
            says: "hb-check: invalid value 'xml' for '--format <FORMAT>' [possible values: text, json]",
            ..case("flag", "`--format xml`", Check)
        },
        Case {
            args: &["--ping", "htps://hc.example.com/ping/uuid", "job", "1h"],
            says: "hb-write: invalid --ping (htps://hc.example.com): a ping URL must be an http:// or https:// URL with a host and no user name or password",
            ..case("flag", "`--ping htps://...` (its path unsaid)", Write)
        },
        Case {
            args: &["--ping", "ftp://hc.example.com/ping/uuid"],
            exit: 3,
            says: "hb-check: invalid ping URL ftp://hc.example.com: it must be an HTTP or HTTPS URL with a host (given to `--ping` or `HB_CHECK_PING_URL`)",
            ..case("flag", "`--ping ftp://...` (its path unsaid)", Check)
        },
        Case {
            args: &["--alert-after", "0"],
            exit: 3,
            says: "hb-check: invalid value '0' for '--alert-after <N>': it must be a whole number from 1 to 200",
            ..case("flag", "`--alert-after 0`", Check)
        },
        Case {
            args: &["--now", "yesterday"],
            exit: 3,
            says: "`yesterday` is not an RFC 3339 time: a date, `T`, a time and a zone, such as 2026-11-22T03:00:00Z",
            ..case("flag", "`--now yesterday`", Check)
        },
        Case {
            args: &["--format", "pdf"],
            exit: 3,
            says: "night-watch: invalid value 'pdf' for '--format <FORMAT>'",
            ..case("flag", "`--format pdf`", Watch)
        },
        // Environment values.
        Case {
            env: &[("HB_FACTOR", "0.5")],
            exit: 3,
            says: "hb-check: invalid value '0.5' for '--factor <F>'",
            ..case("environment", "`HB_FACTOR=0.5`", Check)
        },
        Case {
            args: &["job", "1h"],
            env: &[("HB_PING_URL", "htps://hc.example.com/ping/uuid")],
            exit: 0,
            says: "hb-write: warning: ignoring `HB_PING_URL` (htps://hc.example.com): a ping URL must be an http:// or https:// URL with a host and no user name or password; no ping is sent",
            ..case("environment", "`HB_PING_URL=htps://...` (heartbeat written)", Write)
        },
        Case {
            args: &["job", "1h", "--", "true"],
            env: &[("HB_FACTOR", "1")],
            exit: 0,
            says: "hb-write: warning: ignoring `HB_FACTOR` `1`: the factor must be a number greater than 1, such as 2 or 1.5; the default, 2, applies",
            ..case("environment", "`HB_FACTOR=1` (job run)", Write)
        },
        Case {
            args: &["job", "1h"],
            env: &[("HB_PING_STYLE", "kuma")],
            exit: 0,
            says: "hb-write: warning: ignoring `HB_PING_STYLE` `kuma`: the ping style is one of healthchecks, uptime-kuma; the default, healthchecks, applies",
            ..case("environment", "`HB_PING_STYLE=kuma` (heartbeat written)", Write)
        },
        Case {
            env: &[("HB_QUIET", "maybe")],
            exit: 3,
            says: "hb-check: invalid value 'maybe' for '--quiet': a switch is on (`1`, `true`, `yes`, `on`) or off (`0`, `false`, `no`, `off`)",
            ..case("environment", "`HB_QUIET=maybe`", Check)
        },
        Case {
            env: &[("HB_NOW", "yesterday")],
            exit: 3,
            says: "night-watch: invalid value 'yesterday' for '--now <RFC3339>'",
            ..case("environment", "`HB_NOW=yesterday`", Watch)
        },
        Case {
            env: &[("HB_DIR", "/nonexistent/heartbeats")],
            exit: 3,
            says: "hb-check: cannot read heartbeat directory /nonexistent/heartbeats: No such file or directory (os error 2); point to the right one with --dir or HB_DIR",
            ..case("environment", "`HB_DIR` that does not exist", Check)
        },
        Case {
            args: &["job", "5m"],
            env: &[("HB_DIR", "/dev/null")],
            exit: 1,
            says: "hb-write: cannot create heartbeat directory /dev/null",
            ..case("environment", "`HB_DIR=/dev/null`", Write)
        },
        // Heartbeat contents.
        Case {
            beat: Beat::Bytes(b"garbage"),
            says: "job invalid: not a heartbeat record: not JSON (line 1, column 1)",
            ..case("heartbeat content", "not JSON", Check)
        },
        Case {
            beat: Beat::Bytes(b"\x00\xff\xfe"),
            says: "job invalid: not a heartbeat record",
            ..case("heartbeat content", "binary bytes", Check)
        },
        Case {
            beat: Beat::Bytes(b""),
            says: "job invalid: the file is empty; give --default-interval to judge empty files by their modification time",
            ..case("heartbeat content", "empty, no `--default-interval`", Check)
        },
        Case {
            beat: Beat::Bytes(br#"{"version":1,"job":"job"}"#),
            says: "job invalid: not a heartbeat record: field `timestamp` missing",
            ..case("heartbeat content", "a required field missing", Check)
        },
        Case {
            beat: Beat::Bytes(version_2),
            says: "job invalid: not a heartbeat record: format version 2 is not supported (this reader knows version 1)",
            ..case("heartbeat content", "format version 2", Check)
        },
        Case {
            beat: Beat::Bytes(zero_interval),
            says: "job invalid: not a heartbeat record: interval_seconds 0 is outside 1 second to 400 days",
            ..case("heartbeat content", "`interval_seconds` 0", Check)
        },
        Case {
            beat: Beat::Bytes(endless_run),
            says: "job invalid: not a heartbeat record: max_runtime_seconds 18446744073709551615 is outside 1 second to 400 days",
            ..case("heartbeat content", "`max_runtime_seconds` 2^64 - 1", Check)
        },
        Case {
            beat: Beat::Bytes(bad_status),
            says: "job invalid: not a heartbeat record: unknown variant `maybe`, expected one of `ok`, `fail`, `running`",
            ..case("heartbeat content", "an unknown `status`", Check)
        },
        Case {
            beat: Beat::Bytes(other_job),
            says: "job invalid: the file is named `job.last` but the record is for job `other`",
            ..case("heartbeat content", "a record of another job", Check)
        },
        Case {
            beat: Beat::Bytes(future),
            says: "job invalid: the timestamp 2026-11-23T04:00:00Z is 1d in the future; check the clock of the host that wrote it",
            ..case("heartbeat content", "dated a day ahead", Check)
        },
        Case {
            beat: Beat::Size(70_000),
            says: "job invalid: the file is 70000 bytes, more than a heartbeat's 65536",
            ..case("heartbeat content", "70,000 bytes", Check)
        },
        // Heartbeat kinds.
        Case {
            beat: Beat::Dir,
            says: "job invalid: a directory; a heartbeat must be a regular file",
            ..case("heartbeat kind", "a directory", Check)
        },
        Case {
            beat: Beat::Unreadable(b"{}"),
            says: "job invalid: cannot read: Permission denied (os error 13)",
            ..case("heartbeat kind", "mode 000", Check)
        },
        Case {
            beat: Beat::Link("/dev/null"),
            says: "job invalid: a symbolic link; a heartbeat must be a regular file",
            ..case("heartbeat kind", "a symlink to `/dev/null`", Check)
        },
        Case {
            beat: Beat::Fifo,
            says: "job invalid: a FIFO; a heartbeat must be a regular file",
            ..case("heartbeat kind", "a FIFO", Check)
        },
        // Tracker answers.
        Case {
            beat: Beat::Bytes(fresh),
            tracker: Some(Answer::Status(401)),
            exit: 3,
            says: "failed with HTTP 401: the server's message; the token is invalid or expired",
            ..case("tracker answer", "401 Unauthorized", Check)
        },
        Case {
            beat: Beat::Bytes(fresh),
            tracker: Some(Answer::Status(404)),
            exit: 3,
            says: "failed with HTTP 404: the server's message; the repo does not exist or the token cannot see it",
            ..case("tracker answer", "404 Not Found", Check)
        },
        Case {
            beat: Beat::Bytes(fresh),
            tracker: Some(Answer::Status(500)),
            exit: 3,
            says: "failed with HTTP 500: the server's message (3 attempts)",
            ..case("tracker answer", "500 on every request", Check)
        },
        Case {
            beat: Beat::Bytes(fresh),
            tracker: Some(Answer::NotAList),
            exit: 3,
            says: "failed: unexpected answer from the server: invalid type: map, expected a sequence",
            ..case("tracker answer", "an object where a list belongs", Check)
        },
    ]
}

fn put(dir: &Path, job: &str, beat: Beat) {
    let path = dir.join(format!("{job}.last"));
    match beat {
        Beat::None => {}
        Beat::Bytes(bytes) => fs::write(&path, bytes).unwrap(),
        Beat::Size(n) => fs::write(&path, " ".repeat(n)).unwrap(),
        Beat::Dir => fs::create_dir(&path).unwrap(),
        Beat::Link(target) => symlink(target, &path).unwrap(),
        Beat::Fifo => {
            let made = std::process::Command::new("mkfifo")
                .arg(&path)
                .status()
                .unwrap();
            assert!(made.success(), "mkfifo {}", path.display());
        }
        Beat::Unreadable(bytes) => {
            fs::write(&path, bytes).unwrap();
            fs::set_permissions(&path, fs::Permissions::from_mode(0o000)).unwrap();
        }
    }
}

fn run(case: &Case) {
    let s = Scratch::new();
    put(&s.hb(), case.job, case.beat);
    let mut cmd = match case.program {
        Program::Write => s.hb_write().env("HB_DIR", s.hb()),
        Program::Check => s.hb_check().env("HB_NOW", NOW),
        Program::Watch => s.night_watch().env("HB_NOW", NOW),
    };
    let forge = case.tracker.map(|answer| {
        let forge = github();
        let fault = match answer {
            Answer::Status(code) => Fault::Status(code, "the server's message"),
            Answer::NotAList => Fault::Reply(200, Vec::new(), json!({"message": "not a list"})),
        };
        forge.fault("GET", "", fault.clone(), 100);
        forge.fault("POST", "", fault.clone(), 100);
        forge.fault("PATCH", "", fault, 100);
        forge
    });
    if let Some(forge) = &forge {
        cmd = cmd.envs(forge.env());
    }
    if matches!(case.beat, Beat::Unreadable(_)) && is_root() {
        // root reads any file; `nobody` does not. It takes its run lock in
        // its own state directory.
        fs::set_permissions(s.state(), fs::Permissions::from_mode(0o777)).unwrap();
        cmd = cmd.run_as_nobody();
    }
    cmd = cmd.envs(case.env.iter().copied()).args(case.args);
    let out = cmd.run();
    out.code(case.exit);
    out.no_token();
    let verdict = matches!(case.program, Program::Check) && out.stderr.is_empty();
    let text = if verdict { &out.stdout } else { &out.stderr };
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines.len() == 1 && lines[0].contains(case.says),
        "{} `{}`: expected one line containing {:?}{}",
        case.input,
        case.example,
        case.says,
        out.show()
    );
}

#[test]
fn every_bad_input_gets_its_exit_code_and_one_line() {
    let failed: Vec<String> = catalogue()
        .iter()
        .filter_map(|case| {
            std::panic::catch_unwind(|| run(case))
                .err()
                .map(|_| format!("{} {}", case.input, case.example))
        })
        .collect();
    assert!(
        failed.is_empty(),
        "cases that failed (each shown above): {failed:#?}"
    );
}

/// The README table, generated from the catalogue.
fn table() -> String {
    let mut out =
        String::from("| input | example | program | exit | says |\n|---|---|---|---|---|\n");
    for case in catalogue() {
        out += &format!(
            "| {} | {} | {} | {} | {} |\n",
            case.input,
            case.example,
            case.program.name(),
            case.exit,
            case.says
                .replace('|', "\\|")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
        );
    }
    out
}

const START: &str = "<!-- failure catalogue: generated from tests/it/catalogue.rs -->\n";
const END: &str = "<!-- end of failure catalogue -->\n";

#[test]
fn the_readme_failure_table_is_the_catalogue() {
    let readme_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = fs::read_to_string(&readme_path).unwrap();
    let (Some(start), Some(end)) = (readme.find(START), readme.find(END)) else {
        panic!("README.md lacks the failure catalogue markers {START:?} and {END:?}");
    };
    let shown = &readme[start + START.len()..end];
    let want = table();
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() && shown != want {
        let updated = format!("{}{START}{want}{}", &readme[..start], &readme[end..]);
        fs::write(&readme_path, updated).unwrap();
        return;
    }
    assert_same("README.md failure catalogue", &want, shown);
}
