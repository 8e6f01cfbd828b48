//! The fleet path end to end, with the real programs an operator runs:
//! Debian's prometheus-node-exporter serving hb-check's metrics file,
//! Prometheus scraping it every second with the rules from
//! contrib/prometheus/, and Alertmanager receiving the alerts; all on
//! 127.0.0.1, on free ports, with their data in temporary directories.

use crate::harness;

use std::fs::{self, File};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use chrono::{Duration as Span, Utc};
use harness::{peer_cmd, record, skip, Outcome, Scratch};
use serde_json::Value;

const NODE_EXPORTER: &str = "prometheus-node-exporter";
const PROMETHEUS: &str = "prometheus";
pub const ALERTMANAGER: &str = "prometheus-alertmanager";
const NODE_EXPORTER_PEER: (&str, &str) = (NODE_EXPORTER, "prometheus-node-exporter");

/// How long Prometheus and Alertmanager get to bring an alert up or down.
/// Scrapes and rule evaluations run every second; the rest is start-up.
const ALERT_WITHIN: Duration = Duration::from_secs(60);

pub fn repo(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// Whether every one of `programs` (each named with its Debian package) is
/// installed; when one is not, the test skips visibly, and fails under CI,
/// where .ci/run installs them.
pub fn peers_available(programs: &[(&str, &str)]) -> bool {
    programs
        .iter()
        .all(|(program, package)| skip::peer(program, &["--version"], package))
}

/// A port on 127.0.0.1 that nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A server started for one test, stopped when dropped. Its output goes to
/// a log file, shown when the test fails.
pub struct Server {
    name: &'static str,
    child: Child,
    log: PathBuf,
    pub base: String,
    pub port: u16,
}

impl Server {
    /// Starts `name` listening on `port` and waits until `ready` answers.
    pub fn start(
        name: &'static str,
        port: u16,
        dir: &Path,
        args: &[String],
        ready: &str,
    ) -> Server {
        let log = dir.join(format!("{name}.log"));
        let out = File::create(&log).unwrap();
        let child = Command::new(name)
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        let server = Server {
            name,
            child,
            log,
            base: format!("http://127.0.0.1:{port}"),
            port,
        };
        server.wait_for(ready, |_| true);
        server
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        format!(
            "\n--- {} log\n{}",
            self.name,
            fs::read_to_string(&self.log).unwrap_or_default()
        )
    }

    /// The body at `path`, when the server answers 200.
    pub fn get(&self, path: &str) -> Option<String> {
        let client: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(2)))
            .proxy(None)
            .build()
            .into();
        let mut answer = client.get(format!("{}{path}", self.base)).call().ok()?;
        answer.body_mut().read_to_string().ok()
    }

    /// Polls `path` until `done` accepts its body; fails the test with the
    /// server's log after [`ALERT_WITHIN`].
    pub fn wait_for(&self, path: &str, done: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        let mut last = None;
        while started.elapsed() < ALERT_WITHIN {
            if let Some(body) = self.get(path) {
                if done(&body) {
                    return body;
                }
                last = Some(body);
            }
            thread::sleep(Duration::from_millis(250));
        }
        panic!(
            "{} did not show what was awaited at {path} within {ALERT_WITHIN:?}; last answer:\n{}{}",
            self.name,
            last.unwrap_or_else(|| "(none)".to_owned()),
            self.log()
        );
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A heartbeat for `job` on host web1, written `age` ago.
fn heartbeat(s: &Scratch, job: &str, interval: u64, age: Span) {
    let at = (Utc::now() - age).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    s.write(&format!("{job}.last"), record(job, &at, interval, "ok", ""));
}

/// Runs hb-check over the scratch heartbeats, writing the metrics file.
fn check(s: &Scratch, metrics: &Path) -> Outcome {
    s.hb_check()
        .env("HB_METRICS_FILE", metrics)
        .arg("--quiet")
        .run()
}

fn node_exporter(s: &Scratch, textfile: &Path) -> (Server, u16) {
    let port = free_port();
    let server = Server::start(
        NODE_EXPORTER,
        port,
        s.root(),
        &[
            format!("--web.listen-address=127.0.0.1:{port}"),
            "--collector.disable-defaults".to_owned(),
            "--collector.textfile".to_owned(),
            format!("--collector.textfile.directory={}", textfile.display()),
        ],
        "/metrics",
    );
    (server, port)
}

#[test]
fn node_exporter_serves_the_metrics_hb_check_writes() {
    if !peers_available(&[NODE_EXPORTER_PEER]) {
        return;
    }
    let s = Scratch::new();
    heartbeat(&s, "backup", 3600, Span::seconds(60));
    heartbeat(&s, "rotate-logs", 60, Span::hours(3));
    let textfile = s.root().join("textfile");
    fs::create_dir(&textfile).unwrap();
    check(&s, &textfile.join("cron_heartbeat.prom"))
        .code(2)
        .silent();

    let (exporter, _) = node_exporter(&s, &textfile);
    let body = exporter.wait_for("/metrics", |b| b.contains("cron_heartbeat_"));
    for series in [
        r#"cron_heartbeat_status{cron_job="backup",host="web1",status="ok"} 1"#,
        r#"cron_heartbeat_status{cron_job="rotate-logs",host="web1",status="stale"} 1"#,
        r#"cron_heartbeat_interval_seconds{cron_job="backup",host="web1"} 3600"#,
        r#"cron_heartbeat_jobs{status="stale"} 1"#,
        // node_exporter parsed the whole file: a bad line makes this 1.
        "node_textfile_scrape_error 0",
    ] {
        assert!(
            body.lines().any(|l| l == series),
            "/metrics should have `{series}`:\n{body}{}",
            exporter.log()
        );
    }
    // The exporter reads the file on every scrape: the next check shows.
    heartbeat(&s, "rotate-logs", 60, Span::seconds(1));
    check(&s, &textfile.join("cron_heartbeat.prom"))
        .code(0)
        .silent();
    exporter.wait_for("/metrics", |b| {
        b.contains(r#"cron_heartbeat_status{cron_job="rotate-logs",host="web1",status="ok"} 1"#)
    });
}

/// The contrib rules with every `for:` cut to one second, so that the
/// pending period does not make the test wait minutes. The `for:` timing
/// itself is checked by `promtool test rules` in virtual time
/// (tests/prometheus/rules.test.yml).
fn quick_rules(into: &Path) -> PathBuf {
    let text = fs::read_to_string(repo("contrib/prometheus/cron-heartbeat.rules.yml")).unwrap();
    let mut cut = 0;
    let lines: Vec<String> = text
        .lines()
        .map(|line| match line.trim_start().strip_prefix("for:") {
            Some(_) => {
                cut += 1;
                let indent = &line[..line.len() - line.trim_start().len()];
                format!("{indent}for: 1s")
            }
            None => line.to_owned(),
        })
        .collect();
    assert!(cut >= 1, "the host rule waits with `for:`");
    let path = into.join("rules.yml");
    fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

/// Alertmanager started over the configuration `config`, with its data in
/// `s`.
pub fn alertmanager(s: &Scratch, config: &str) -> Server {
    let port = free_port();
    let path = s.root().join("alertmanager.yml");
    fs::write(&path, config).unwrap();
    Server::start(
        ALERTMANAGER,
        port,
        s.root(),
        &[
            format!("--config.file={}", path.display()),
            format!("--storage.path={}", s.root().join("am-data").display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
            // No gossip with other Alertmanagers.
            "--cluster.listen-address=".to_owned(),
        ],
        "/-/ready",
    )
}

/// The alerts Alertmanager holds that are active, as (alertname, the
/// label `key`) pairs.
fn active_alerts(body: &str, key: &str) -> Vec<(String, String)> {
    let alerts: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let mut found: Vec<(String, String)> = alerts
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["status"]["state"] == "active")
        .map(|a| {
            let label = |name: &str| a["labels"][name].as_str().unwrap_or_default().to_owned();
            (label("alertname"), label(key))
        })
        .collect();
    found.sort();
    found
}

#[test]
fn prometheus_and_alertmanager_alert_on_a_stale_job_and_on_a_silent_host() {
    if !peers_available(&[
        NODE_EXPORTER_PEER,
        (PROMETHEUS, "prometheus"),
        (ALERTMANAGER, "prometheus-alertmanager"),
    ]) {
        return;
    }
    let s = Scratch::new();
    // backup runs every minute and was last seen an hour ago: stale.
    heartbeat(&s, "backup", 60, Span::hours(1));
    heartbeat(&s, "sync-mirror", 3600, Span::seconds(10));
    let textfile = s.root().join("textfile");
    fs::create_dir(&textfile).unwrap();
    let metrics = textfile.join("cron_heartbeat.prom");
    check(&s, &metrics).code(2).silent();
    let (mut exporter, exporter_port) = node_exporter(&s, &textfile);

    let alertmanager = alertmanager(
        &s,
        "route:\n  receiver: test\n  group_wait: 1s\nreceivers:\n  - name: test\n",
    );
    let am_port = alertmanager.port;

    let prom_port = free_port();
    let prom_config = s.root().join("prometheus.yml");
    fs::write(
        &prom_config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             rule_files:\n  - {rules}\n\
             alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['127.0.0.1:{am_port}']\n\
             scrape_configs:\n  - job_name: node\n    static_configs:\n      - targets: ['127.0.0.1:{exporter_port}']\n",
            rules = quick_rules(s.root()).display()
        ),
    )
    .unwrap();
    let prometheus = Server::start(
        PROMETHEUS,
        prom_port,
        s.root(),
        &[
            format!("--config.file={}", prom_config.display()),
            format!(
                "--storage.tsdb.path={}",
                s.root().join("prom-data").display()
            ),
            format!("--web.listen-address=127.0.0.1:{prom_port}"),
        ],
        "/-/ready",
    );
    let rules = prometheus.wait_for("/api/v1/rules", |b| b.contains("CronHeartbeatHostSilent"));
    assert!(rules.contains("CronJobStale"), "{rules}");

    // The stale job raises its alert in Alertmanager; the fresh one does not.
    let started = Instant::now();
    let body = alertmanager.wait_for("/api/v2/alerts", |b| {
        active_alerts(b, "cron_job").contains(&("CronJobStale".to_owned(), "backup".to_owned()))
    });
    let raised_in = started.elapsed();
    let alerts = active_alerts(&body, "cron_job");
    assert!(
        !alerts.iter().any(|(_, job)| job == "sync-mirror"),
        "{alerts:?}{}",
        prometheus.log()
    );

    // The job recovers: its alert resolves.
    let out = s
        .hb_write()
        .env("HB_DIR", s.hb())
        .args(["backup", "60"])
        .run();
    out.code(0).silent();
    check(&s, &metrics).code(0).silent();
    alertmanager.wait_for("/api/v2/alerts", |b| {
        !active_alerts(b, "cron_job")
            .iter()
            .any(|(name, job)| name == "CronJobStale" && job == "backup")
    });

    // The host stops reporting altogether: its metrics vanish, and the host
    // alert speaks for its jobs.
    exporter.stop();
    let instance = format!("127.0.0.1:{exporter_port}");
    alertmanager.wait_for("/api/v2/alerts", |b| {
        active_alerts(b, "instance")
            .contains(&("CronHeartbeatHostSilent".to_owned(), instance.clone()))
    });
    eprintln!("the stale job's alert reached Alertmanager in {raised_in:?}");
}

#[test]
fn the_alertmanager_example_routes_cron_alerts_to_their_owners() {
    if !peers_available(&[("amtool", "prometheus-alertmanager")]) {
        return;
    }
    let config = repo("contrib/prometheus/alertmanager.yml");
    let run = |args: &[&str]| peer_cmd("amtool").args(args).run();
    run(&["check-config", config.to_str().unwrap()]).code(0);
    let file = format!("--config.file={}", config.display());
    for alert in [
        "CronJobStale",
        "CronJobFailed",
        "CronHeartbeatHostSilent",
        "CronDaemonDown",
        "CronJobBlocked",
        "CronJobBelowQuorum",
    ] {
        let out = run(&[
            "config",
            "routes",
            "test",
            &file,
            &format!("alertname={alert}"),
        ]);
        out.code(0);
        assert_eq!(out.stdout.trim(), "cron-owners", "{alert}{}", out.show());
    }
    // Anything else keeps the default route, or the test proves nothing.
    let out = run(&["config", "routes", "test", &file, "alertname=NodeDown"]);
    assert_eq!(out.stdout.trim(), "ops", "{}", out.show());
}
