//! hb-check's own guards around the tracker: what it refuses to send, and
//! the settings it accepts from the environment. The real hb-check against
//! the fake Gitea of the test harness.

use crate::harness;

use harness::forge::{gitea, Forge};
use harness::{Outcome, Scratch, NOW};

fn check(dir: &Scratch, forge: &Forge, extra: &[(&str, &str)]) -> Outcome {
    let r = forge.hb_check(dir).envs(extra.iter().copied()).run();
    r.no_token();
    r
}

#[test]
fn an_emptied_directory_does_not_close_the_alert() {
    let Some(forge) = gitea() else { return };
    let dir = Scratch::new();
    dir.stale("backup");
    check(&dir, &forge, &[]).code(2);
    assert_eq!(forge.issues_titled("[heartbeat-checker] web1:").len(), 1);

    // The directory is wiped (a bad mount, a careless rm): nothing recovered.
    std::fs::remove_file(dir.hb().join("backup.last")).unwrap();
    let before = forge.requests().len();
    let r = check(&dir, &forge, &[]);
    r.code(1);
    assert!(r.stdout.contains("no heartbeats found"), "{}", r.show());
    assert!(
        r.stderr.contains("tracker was left as it is"),
        "{}",
        r.show()
    );
    assert_eq!(
        forge.requests().len(),
        before,
        "no request at all: {:#?}",
        forge.requests()
    );
    let issues = forge.issues_titled("[heartbeat-checker] web1:");
    assert!(issues[0].open, "the alert stays open");
    forge.assert_clean();
}

#[test]
fn hb_dry_run_takes_the_words_systemd_and_shells_use() {
    let Some(forge) = gitea() else { return };
    let dir = Scratch::new();
    dir.stale("backup");
    for yes in ["1", "yes", "on"] {
        let r = check(&dir, &forge, &[("HB_DRY_RUN", yes)]);
        r.code(2);
        assert!(r.stdout.contains("backup stale"), "{}", r.show());
        assert!(r.stderr.contains("would open an issue"), "{}", r.show());
    }
    assert_eq!(forge.writes(), 0, "{:#?}", forge.requests());
    forge.assert_clean();
}

#[test]
fn a_zero_tracker_timeout_is_a_usage_error() {
    let dir = Scratch::new();
    dir.stale("backup");
    let r = dir
        .hb_check()
        .env("HB_NOW", NOW)
        .env("HB_TRACKER_URL", "http://127.0.0.1:9")
        .env("HB_TRACKER_REPO", "ops/alerts")
        .args(["--tracker-timeout", "0"])
        .run();
    r.code(3);
    assert!(r.stderr.contains("at least 1 second"), "{}", r.show());
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.show());
}
