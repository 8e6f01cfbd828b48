//! hb-check's own guards around the tracker: what it refuses to send, and
//! the settings it accepts from the environment. The real hb-check against
//! the fake Gitea of tests/support.

mod support;

use std::sync::Arc;

use support::forge::{Forge, Mode, OWNER, REPO};
use support::swagger::Spec;
use support::{hb_check, run, Dir, TOKEN};

fn env(forge: &Forge) -> Vec<(&'static str, String)> {
    vec![
        ("HB_TRACKER_URL", forge.url()),
        ("HB_TRACKER_REPO", format!("{OWNER}/{REPO}")),
        ("HB_TRACKER_TOKEN", forge.token().to_owned()),
        ("HB_HOST", "web1".to_owned()),
    ]
}

fn check(dir: &Dir, forge: &Forge, extra: &[(&str, &str)]) -> support::Run {
    let base = env(forge);
    let mut all: Vec<(&str, &str)> = base.iter().map(|(k, v)| (*k, v.as_str())).collect();
    all.extend_from_slice(extra);
    let r = run(hb_check(dir, &all, &[]));
    r.expect_no_token();
    r
}

#[test]
fn an_emptied_directory_does_not_close_the_alert() {
    let Some(spec) = Spec::gitea() else { return };
    let forge = Forge::start(Mode::Gitea, Some(Arc::new(spec)), TOKEN);
    let dir = Dir::new();
    dir.stale("backup");
    check(&dir, &forge, &[]).expect_code(2);
    assert_eq!(forge.issues_titled("[heartbeat-checker] web1:").len(), 1);

    // The directory is wiped (a bad mount, a careless rm): nothing recovered.
    std::fs::remove_file(dir.path().join("backup.last")).unwrap();
    let before = forge.requests().len();
    let r = check(&dir, &forge, &[]);
    r.expect_code(1);
    assert!(r.stdout().contains("no heartbeats found"), "{}", r.show());
    assert!(
        r.stderr().contains("tracker was left as it is"),
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
    let Some(spec) = Spec::gitea() else { return };
    let forge = Forge::start(Mode::Gitea, Some(Arc::new(spec)), TOKEN);
    let dir = Dir::new();
    dir.stale("backup");
    for yes in ["1", "yes", "on"] {
        let r = check(&dir, &forge, &[("HB_DRY_RUN", yes)]);
        r.expect_code(2);
        assert!(r.stdout().contains("backup stale"), "{}", r.show());
        assert!(r.stderr().contains("would open an issue"), "{}", r.show());
    }
    assert_eq!(forge.writes(), 0, "{:#?}", forge.requests());
    forge.assert_clean();
}

#[test]
fn a_zero_tracker_timeout_is_a_usage_error() {
    let dir = Dir::new();
    dir.stale("backup");
    let r = run(hb_check(
        &dir,
        &[
            ("HB_TRACKER_URL", "http://127.0.0.1:9"),
            ("HB_TRACKER_REPO", "ops/alerts"),
        ],
        &["--tracker-timeout", "0"],
    ));
    r.expect_code(3);
    assert!(r.stderr().contains("at least 1 second"), "{}", r.show());
    assert_eq!(r.stderr().lines().count(), 1, "{}", r.show());
}
