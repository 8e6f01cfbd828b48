//! The writer under torture and faults: many concurrent writers, writers
//! killed at random moments, a full filesystem, a read-only one, any umask.
//! Every case checks what a reader would see: the previous record or the
//! new one, never a part, and nothing of ours left behind.

use crate::harness;

use std::collections::HashSet;
use std::fs::{self, File, FileTimes};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use cron_heartbeat::store::is_temporary_name;
use harness::skip::skip;
use harness::{is_root, listing, Scratch};
use serde_json::Value;

/// Parses a heartbeat as a reader would; panics with the bytes when torn.
fn parse(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("torn heartbeat: {e}: {:?}", String::from_utf8_lossy(bytes)))
}

/// A small xorshift generator: the test prints its seed, so a failure can
/// be replayed with `HB_TORTURE_SEED`.
struct Rng(u64);

impl Rng {
    fn seeded() -> Rng {
        let seed = std::env::var("HB_TORTURE_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                SystemTime::now()
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
                    | 1
            });
        eprintln!("HB_TORTURE_SEED={seed}");
        Rng(seed)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound.max(1)
    }
}

fn age(path: &Path, by: Duration) {
    let when = SystemTime::now() - by;
    File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_times(FileTimes::new().set_modified(when).set_accessed(when))
        .unwrap();
}

#[test]
fn eight_writers_of_500_writes_and_a_reader_never_see_a_torn_file() {
    const WRITERS: usize = 8;
    const WRITES: usize = 500;
    let s = Scratch::new();
    s.hb_write()
        .env("HB_DIR", s.hb())
        .args(["--message", "first", "busy", "1m"])
        .run()
        .code(0);
    let path = s.hb().join("busy.last");
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (path, done) = (path.clone(), done.clone());
        thread::spawn(move || {
            let mut reads = 0u64;
            while !done.load(Ordering::Relaxed) {
                let bytes = fs::read(&path).expect("the heartbeat always exists");
                assert_eq!(parse(&bytes)["job"], "busy");
                reads += 1;
            }
            reads
        })
    };
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let hb = s.hb();
            let cmds: Vec<_> = (0..WRITES)
                .map(|i| {
                    s.hb_write().env("HB_DIR", &hb).args([
                        "--message",
                        &format!("w{w}-{i}"),
                        "busy",
                        "1m",
                    ])
                })
                .collect();
            thread::spawn(move || {
                for cmd in cmds {
                    cmd.run().code(0).silent();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().expect("every write succeeds");
    }
    done.store(true, Ordering::Relaxed);
    let reads = reader.join().expect("every read parses");
    assert!(reads > 0, "the reader read while the writers wrote");
    let last = parse(&fs::read(&path).unwrap());
    let message = last["message"].as_str().expect("a message");
    let written: HashSet<String> = (0..WRITERS)
        .flat_map(|w| (0..WRITES).map(move |i| format!("w{w}-{i}")))
        .collect();
    assert!(
        written.contains(message),
        "final record {last} is one of the writes"
    );
    assert_eq!(
        listing(&s.hb()),
        ["busy.history", "busy.last"],
        "no temporary file left"
    );
}

#[test]
fn writers_killed_at_random_moments_leave_the_old_or_the_new_record() {
    const KILLS: usize = 200;
    let s = Scratch::new();
    let lock = s.root().join("check.lock");
    let path = s.hb().join("job.last");
    let write = |message: &str| {
        s.hb_write()
            .env("HB_DIR", s.hb())
            .args(["--message", message, "job", "1m"])
    };
    // How long one write takes here, to spread the kills over it.
    let started = Instant::now();
    for _ in 0..5 {
        write("warm-up").run().code(0);
    }
    let span = (started.elapsed() / 5).as_micros() as u64;
    let mut rng = Rng::seeded();
    let mut killed = 0;
    for i in 0..KILLS {
        let before = fs::read(&path).unwrap();
        let message = format!("kill-{i}");
        let (mut child, shown) = write(&message).spawn();
        thread::sleep(Duration::from_micros(rng.below(span)));
        let _ = child.kill();
        let status = child.wait().unwrap();
        if status.signal() == Some(libc::SIGKILL) {
            killed += 1;
        }
        let after = fs::read(&path).unwrap_or_else(|e| panic!("{shown}: {e}"));
        if after != before {
            assert_eq!(parse(&after)["message"], message.as_str(), "{shown}");
        }
    }
    assert!(
        killed >= KILLS / 10,
        "only {killed} of {KILLS} writers were killed before they finished: the test tested little"
    );
    // What the kills left: the heartbeat and temporaries of the writer's
    // exact shape, which every reader skips.
    let names = listing(&s.hb());
    eprintln!(
        "{killed} of {KILLS} writers killed mid-run, {} temporaries left",
        names.len() - 2
    );
    for name in &names {
        let ours = ["job.last", "job.history"].contains(&name.as_str());
        assert!(ours || is_temporary_name(name), "{names:?}");
    }
    s.hb_check()
        .args(["--quiet", "--lock-file"])
        .arg(&lock)
        .run()
        .code(0);
    // hb-check removes them once they are an hour old, and nothing else:
    // not a look-alike, not a fresh temporary of a live writer.
    let fresh = s.write(".job.last.1.00000000000000aa.hbtmp", "live");
    let lookalike = s.write(".job.last.1.00000000000000aa.tmp", "not ours");
    for name in &names {
        if name != "job.last" && name != "job.history" {
            age(&s.hb().join(name), Duration::from_secs(2 * 3600));
        }
    }
    age(&lookalike, Duration::from_secs(2 * 3600));
    s.hb_check()
        .args(["--quiet", "--lock-file"])
        .arg(&lock)
        .run()
        .code(0)
        .silent();
    let mut left = vec![
        "job.last".to_owned(),
        "job.history".to_owned(),
        ".job.last.1.00000000000000aa.hbtmp".to_owned(),
        ".job.last.1.00000000000000aa.tmp".to_owned(),
    ];
    left.sort();
    assert_eq!(listing(&s.hb()), left);
    assert_eq!(fs::read(&fresh).unwrap(), b"live");
}

/// A small tmpfs mounted for one test, unmounted on drop (even when the
/// test fails).
struct Mount(PathBuf);

impl Mount {
    /// Mounts a tmpfs of `size` at `dir`, or skips visibly (failing under
    /// `CI`) when this process may not mount.
    fn tmpfs(dir: &Path, size: &str) -> Option<Mount> {
        fs::create_dir_all(dir).unwrap();
        if !is_root() {
            skip("mounting a small tmpfs needs root; run the suite as root (CI does)");
            return None;
        }
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0755"),
                "tmpfs",
            ])
            .arg(dir)
            .output();
        match out {
            Ok(out) if out.status.success() => Some(Mount(dir.to_owned())),
            Ok(out) => {
                skip(&format!(
                    "cannot mount a tmpfs here: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
                None
            }
            Err(err) => {
                skip(&format!("cannot run mount: {err}"));
                None
            }
        }
    }

    fn remount_read_only(&self) {
        let status = Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(status.success(), "remount {} read-only", self.0.display());
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_filesystem_exits_1_keeps_the_old_heartbeat_and_leaves_nothing() {
    let s = Scratch::new();
    let dir = s.root().join("full");
    let Some(_mount) = Mount::tmpfs(&dir, "64k") else {
        return;
    };
    s.hb_write()
        .env("HB_DIR", &dir)
        .args(["backup", "1d"])
        .run()
        .code(0);
    let path = dir.join("backup.last");
    let old = fs::read(&path).unwrap();
    // Fill every block that is left.
    let filler = dir.join("filler");
    let chunk = vec![b'x'; 4096];
    let mut file = File::create(&filler).unwrap();
    while std::io::Write::write_all(&mut file, &chunk).is_ok() {}
    drop(file);
    s.hb_write()
        .env("HB_DIR", &dir)
        .args(["backup", "1d"])
        .run()
        .code(1)
        .one_line_error(&[
            "hb-write: cannot write heartbeat for job `backup` to",
            &path.display().to_string(),
            "No space left on device (os error 28)",
        ]);
    assert_eq!(fs::read(&path).unwrap(), old, "old heartbeat intact");
    assert_eq!(
        listing(&dir),
        ["backup.history", "backup.last", "filler"],
        "nothing left"
    );
}

#[test]
fn a_read_only_filesystem_exits_1_keeps_the_old_heartbeat_and_leaves_nothing() {
    let s = Scratch::new();
    let dir = s.root().join("ro");
    let Some(mount) = Mount::tmpfs(&dir, "1m") else {
        return;
    };
    s.hb_write()
        .env("HB_DIR", &dir)
        .args(["backup", "1d"])
        .run()
        .code(0);
    let path = dir.join("backup.last");
    let old = fs::read(&path).unwrap();
    mount.remount_read_only();
    // root included: a read-only mount refuses everyone.
    s.hb_write()
        .env("HB_DIR", &dir)
        .args(["backup", "1d"])
        .run()
        .code(1)
        .one_line_error(&[
            "hb-write: cannot write heartbeat for job `backup` to",
            &path.display().to_string(),
            "Read-only file system (os error 30)",
        ]);
    assert_eq!(fs::read(&path).unwrap(), old, "old heartbeat intact");
    assert_eq!(
        listing(&dir),
        ["backup.history", "backup.last"],
        "nothing left"
    );
}

#[test]
fn heartbeats_are_0644_under_any_umask() {
    let s = Scratch::new();
    for umask in ["000", "002", "022", "077", "777"] {
        let job = format!("u{umask}");
        s.cmd("/bin/sh")
            .args(["-c", &format!("umask {umask} && exec \"$0\" \"$@\"")])
            .arg(harness::HB_WRITE)
            .args(["--dir".as_ref(), s.hb().as_os_str()])
            .args([job.as_str(), "1m"])
            .run()
            .code(0)
            .silent();
        let mode = fs::metadata(s.hb().join(format!("{job}.last")))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o7777, 0o644, "umask {umask}");
    }
}
