//! The fleet's alerts through the real programs: promtool runs the unit
//! tests of the fleet rules in contrib/prometheus, and Debian's
//! Alertmanager, loaded with contrib/prometheus/alertmanager.yml (its
//! receivers pointed at a webhook on 127.0.0.1, its group wait cut to a
//! second), groups 40 hosts' alerts for one job into one notification and
//! inhibits the job alerts that a host-silent, cron-down, blocked or
//! below-quorum alert explains.

use crate::fleet::{alertmanager, peers_available, repo, Server, ALERTMANAGER};
use crate::harness;

use std::fs;
use std::thread;
use std::time::{Duration, Instant};

use harness::pings::{Answer, PingServer};
use harness::{peer_cmd, skip, Scratch};
use serde_json::{json, Value};

#[test]
fn the_fleet_rules_pass_their_promtool_unit_tests() {
    if !skip::peer("promtool", &["--version"], "prometheus") {
        return;
    }
    peer_cmd("promtool")
        .args(["test", "rules", "tests/prometheus/fleet.test.yml"])
        .current_dir(repo(""))
        .run()
        .code(0);
}

/// The contrib configuration, as an operator would merge it, with every
/// receiver a webhook on `hook` and the group wait one second.
fn config(hook: &PingServer) -> String {
    let text = fs::read_to_string(repo("contrib/prometheus/alertmanager.yml")).unwrap();
    let (routing, _) = text.split_once("\nreceivers:").expect("receivers last");
    let routing = routing.replace("group_wait: 30s", "group_wait: 1s");
    assert!(routing.contains("group_wait: 1s"), "{routing}");
    format!(
        "{routing}\nreceivers:\n  - name: ops\n    webhook_configs:\n      - url: {}\n  \
         - name: cron-owners\n    webhook_configs:\n      - url: {}\n",
        hook.url("/ops"),
        hook.url("/cron-owners")
    )
}

/// Posts `alerts` to Alertmanager's API, as Prometheus does, in one request.
fn post(am: &Server, alerts: &Value) {
    let client: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(5)))
        .proxy(None)
        .build()
        .into();
    client
        .post(format!("{}/api/v2/alerts", am.base))
        .header("Content-Type", "application/json")
        .send(alerts.to_string())
        .unwrap_or_else(|e| panic!("post alerts: {e}{}", am.log()));
}

/// An alert as Prometheus sends it for the contrib rules.
fn alert(name: &str, labels: &[(&str, &str)]) -> Value {
    let mut all = serde_json::Map::new();
    all.insert("alertname".to_owned(), json!(name));
    for (k, v) in labels {
        all.insert((*k).to_owned(), json!(v));
    }
    json!({"labels": all, "annotations": {"summary": name}})
}

fn stale(host: &str) -> Value {
    let instance = format!("{host}:9100");
    alert(
        "CronJobStale",
        &[
            ("cron_job", "backup"),
            ("host", host),
            ("instance", &instance),
            ("severity", "critical"),
        ],
    )
}

#[test]
fn forty_hosts_alerts_for_one_job_are_one_notification() {
    if !peers_available(&[(ALERTMANAGER, "prometheus-alertmanager")]) {
        return;
    }
    let s = Scratch::new();
    let hook = PingServer::start(Answer::Ok);
    let am = alertmanager(&s, &config(&hook));
    let hosts: Vec<String> = (1..=40).map(|n| format!("web{n:02}")).collect();
    post(&am, &Value::Array(hosts.iter().map(|h| stale(h)).collect()));
    // Alertmanager holds 40 alerts...
    am.wait_for("/api/v2/alerts", |b| {
        serde_json::from_str::<Value>(b)
            .ok()
            .and_then(|v| v.as_array().map(Vec::len))
            == Some(40)
    });
    // ...and sends one notification, after its group wait, with all 40.
    let started = Instant::now();
    while hook.seen().is_empty() && started.elapsed() < Duration::from_secs(30) {
        thread::sleep(Duration::from_millis(200));
    }
    // Time for a second notification, were the alerts split.
    thread::sleep(Duration::from_secs(3));
    let seen = hook.seen();
    assert_eq!(seen.len(), 1, "one notification: {seen:#?}{}", am.log());
    assert_eq!(seen[0].target, "/cron-owners");
    let body: Value = serde_json::from_str(&seen[0].body).unwrap();
    assert_eq!(body["alerts"].as_array().map(Vec::len), Some(40), "{body}");
    assert_eq!(
        body["groupLabels"],
        json!({"alertname": "CronJobStale", "cron_job": "backup"})
    );
}

/// The alerts Alertmanager holds, as (alertname, host, state).
fn states(body: &str) -> Vec<(String, String, String)> {
    let alerts: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let mut found: Vec<(String, String, String)> = alerts
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| {
            let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            (
                text(&a["labels"]["alertname"]),
                text(&a["labels"]["host"]),
                text(&a["status"]["state"]),
            )
        })
        .collect();
    found.sort();
    found
}

#[test]
fn job_alerts_are_inhibited_under_the_alert_that_explains_them() {
    if !peers_available(&[(ALERTMANAGER, "prometheus-alertmanager")]) {
        return;
    }
    let s = Scratch::new();
    let hook = PingServer::start(Answer::Ok);
    let am = alertmanager(&s, &config(&hook));
    let alerts = json!([
        // cron stopped on web07: its job alert is not sent.
        alert(
            "CronDaemonDown",
            &[("host", "web07"), ("instance", "web07:9100")]
        ),
        stale("web07"),
        // web08 went silent altogether.
        alert("CronHeartbeatHostSilent", &[("instance", "web08:9100")]),
        stale("web08"),
        // web09's job alert has nothing above it.
        stale("web09"),
        // web11's backup is blocked by the nfs-mount it needs.
        alert(
            "CronJobBlocked",
            &[
                ("cron_job", "backup"),
                ("host", "web11"),
                ("by", "nfs-mount")
            ]
        ),
        stale("web11"),
        // sync is below its quorum: one alert for the job, not web10's.
        alert("CronJobBelowQuorum", &[("cron_job", "sync")]),
        alert(
            "CronJobFailed",
            &[
                ("cron_job", "sync"),
                ("host", "web10"),
                ("instance", "web10:9100")
            ]
        ),
    ]);
    post(&am, &alerts);
    let want =
        |name: &str, host: &str, state: &str| (name.to_owned(), host.to_owned(), state.to_owned());
    let expected = vec![
        want("CronDaemonDown", "web07", "active"),
        want("CronHeartbeatHostSilent", "", "active"),
        want("CronJobBelowQuorum", "", "active"),
        want("CronJobBlocked", "web11", "active"),
        want("CronJobFailed", "web10", "suppressed"),
        want("CronJobStale", "web07", "suppressed"),
        want("CronJobStale", "web08", "suppressed"),
        want("CronJobStale", "web09", "active"),
        want("CronJobStale", "web11", "suppressed"),
    ];
    am.wait_for("/api/v2/alerts", |b| states(b) == expected);
}
