//! A real systemd to test against, on a machine whose init is not systemd:
//! a minimal Debian root (`debootstrap --variant=minbase`, built once per
//! target directory and kept under it) booted with `systemd-nspawn --boot`
//! in a private mount namespace, its changes kept in memory
//! (`--volatile=overlay`), so each boot starts from the same root.
//! Commands run inside with `nsenter`; the host's binaries run there
//! unchanged (the same Debian, the same libc).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{peer_cmd, skip, Cmd, Outcome};

/// The programs the container needs, with the Debian package of each.
const PEERS: [(&str, &str); 4] = [
    ("systemd-nspawn", "systemd-container"),
    ("debootstrap", "debootstrap"),
    ("nsenter", "util-linux"),
    ("unshare", "util-linux"),
];

/// The root's name: the suite and a version, raised whenever [`INCLUDE`]
/// changes, so that a kept root of other packages is not used.
const ROOT_NAME: &str = "bookworm-2";

/// The packages of the root besides minbase: systemd as init, D-Bus for
/// logind, and PAM's systemd module, without which no user manager starts.
const INCLUDE: &str = "--include=systemd,systemd-sysv,dbus,libpam-systemd";

/// One build of the root at a time in this test binary.
static BUILD: Mutex<()> = Mutex::new(());

/// A booted container; powered off when dropped.
pub struct Container {
    nspawn: Child,
    /// The container's systemd (PID 1 inside), as the host sees it.
    pub pid: u32,
}

/// Where the root is kept: under the target directory, so that a CI run
/// builds it once and `cargo clean` removes it.
fn root_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("systemd-root/{ROOT_NAME}"))
}

/// The Debian mirror apt uses here (`URIs:` of a deb822 source, or the
/// URL of a `deb` line), else deb.debian.org.
fn mirror() -> String {
    let mut files = vec![PathBuf::from("/etc/apt/sources.list")];
    if let Ok(dir) = fs::read_dir("/etc/apt/sources.list.d") {
        let mut more: Vec<PathBuf> = dir.flatten().map(|e| e.path()).collect();
        more.sort();
        files.extend(more);
    }
    for file in files {
        let text = fs::read_to_string(&file).unwrap_or_default();
        for line in text.lines().map(str::trim) {
            let url = if let Some(uris) = line.strip_prefix("URIs:") {
                uris.split_whitespace().next()
            } else if let Some(deb) = line.strip_prefix("deb ") {
                deb.split_whitespace().find(|w| w.starts_with("http"))
            } else {
                None
            };
            if let Some(url) = url.filter(|u| !u.contains("security")) {
                return url.to_owned();
            }
        }
    }
    "http://deb.debian.org/debian".to_owned()
}

/// The root, built when missing (about a minute and 250 MB); `None`, with
/// a visible skip, when it cannot be.
fn root() -> Option<PathBuf> {
    let _one = BUILD
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let root = root_dir();
    if root.join("usr/lib/systemd/systemd").exists() || root.join("lib/systemd/systemd").exists() {
        return Some(root);
    }
    let building = root.with_extension("building");
    let _ = fs::remove_dir_all(&building);
    fs::create_dir_all(building.parent().unwrap()).unwrap();
    let started = Instant::now();
    let out = Command::new("debootstrap")
        .args(["--variant=minbase", INCLUDE, "bookworm"])
        .arg(&building)
        .arg(mirror())
        .stdin(Stdio::null())
        .output()
        .expect("debootstrap runs");
    if !out.status.success() {
        let said = String::from_utf8_lossy(&out.stdout);
        let tail: Vec<&str> = said.lines().rev().take(3).collect();
        skip::skip(&format!(
            "debootstrap failed ({}): {}",
            out.status,
            tail.join(" / ")
        ));
        return None;
    }
    fs::rename(&building, &root).unwrap();
    eprintln!("built the systemd root in {:?}", started.elapsed());
    Some(root)
}

/// The script run in the private mount namespace: a `/run/systemd` of
/// its own (the host's may say another systemd runs), a cgroup of its own
/// (nspawn moves the container there), then nspawn in its place.
const BOOT: &str = r#"set -e
mkdir -p /run/systemd
mount -t tmpfs tmpfs /run/systemd
for c in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified /sys/fs/cgroup; do
  if [ -w "$c/cgroup.procs" ]; then
    mkdir -p "$c/$2"
    echo $$ > "$c/$2/cgroup.procs"
    [ "$c" = /sys/fs/cgroup ] && break
  fi
done
exec systemd-nspawn -q -D "$1" -M "$2" --boot --register=no --keep-unit \
  --private-network --volatile=overlay --console=pipe </dev/null
"#;

impl Container {
    /// Boots a container, or skips visibly (failing under `CI`) when this
    /// machine cannot: not root, a peer missing, no root, no boot.
    pub fn boot(name: &str) -> Option<Container> {
        if !super::is_root() {
            skip::skip("booting systemd in a container takes root");
            return None;
        }
        for (program, package) in PEERS {
            if !skip::peer(program, &["--version"], package) {
                return None;
            }
        }
        let root = root()?;
        let machine = format!("hb-{name}-{}", std::process::id());
        let mut nspawn = Command::new("unshare")
            .args([
                "--mount",
                "--propagation",
                "private",
                "sh",
                "-c",
                BOOT,
                "sh",
            ])
            .arg(&root)
            .arg(&machine)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("unshare starts");
        let deadline = Instant::now() + Duration::from_secs(30);
        let children = format!("/proc/{0}/task/{0}/children", nspawn.id());
        let pid = loop {
            let first = fs::read_to_string(&children).ok().and_then(|c| {
                c.split_whitespace()
                    .next()
                    .and_then(|p| p.parse::<u32>().ok())
            });
            if let Some(pid) = first {
                if Path::new(&format!("/proc/{pid}/root/run/systemd/private")).exists() {
                    break Some(pid);
                }
            }
            if Instant::now() > deadline || nspawn.try_wait().ok().flatten().is_some() {
                break None;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let Some(pid) = pid else {
            let _ = nspawn.kill();
            let out = nspawn.wait_with_output().expect("nspawn ends");
            skip::skip(&format!(
                "systemd did not boot in a container: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
            return None;
        };
        let container = Container { nspawn, pid };
        // Up once its boot jobs are done (degraded is up too: a minimal
        // root has units that fail in a container).
        while Instant::now() < deadline {
            let state = container.cmd(&["systemctl", "is-system-running"]).run();
            if matches!(state.stdout.trim(), "running" | "degraded") {
                return Some(container);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the container's systemd did not finish booting in 30 s");
    }

    /// The container's root as the host sees it.
    pub fn root(&self) -> PathBuf {
        PathBuf::from(format!("/proc/{}/root", self.pid))
    }

    /// A command run inside (every namespace of the container), with the
    /// harness's cleared environment.
    pub fn cmd(&self, command: &[&str]) -> Cmd {
        peer_cmd("nsenter")
            .args(["-t", &self.pid.to_string(), "-a", "--"])
            .args(command)
    }

    /// Runs a shell script inside and asserts that it succeeds.
    #[track_caller]
    pub fn sh(&self, script: &str) -> Outcome {
        let out = self.cmd(&["sh", "-ec", script]).run();
        out.code(0);
        out
    }

    /// Writes `text` to `path` inside, creating its directory.
    pub fn write(&self, path: &str, text: &str, mode: u32) {
        let at = self.root().join(path.trim_start_matches('/'));
        fs::create_dir_all(at.parent().unwrap()).unwrap();
        fs::write(&at, text).unwrap();
        fs::set_permissions(&at, fs::Permissions::from_mode(mode)).unwrap();
    }

    /// Copies the host's program `from` to `to` inside.
    pub fn install(&self, from: &str, to: &str) {
        let bytes = fs::read(from).unwrap();
        let at = self.root().join(to.trim_start_matches('/'));
        fs::create_dir_all(at.parent().unwrap()).unwrap();
        fs::write(&at, bytes).unwrap();
        fs::set_permissions(&at, fs::Permissions::from_mode(0o755)).unwrap();
    }
}

impl Drop for Container {
    /// Powers the container off (SIGRTMIN+4 to its systemd), and kills
    /// nspawn if it is still there after 10 s.
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.pid) {
            // SAFETY: kill(2) with a pid and a signal number touches no
            // memory.
            unsafe { libc::kill(pid, libc::SIGRTMIN() + 4) };
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.nspawn.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.nspawn.kill();
        let _ = self.nspawn.wait();
    }
}
