//! Reading the timers of one systemd manager, and their services, with
//! `systemctl show`, each call bounded.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::props::{self, Props};
use super::{calendar_after, failed, Manager};
use crate::error::Error;
use crate::judge::timer::{plus, Exit, Run, Timer};
use crate::record::user_job;

const TIMER_PROPS: &str = "Id,Unit,UnitFileState,LoadState,ActiveState,ConditionResult,\
TimersCalendar,TimersMonotonic,NextElapseUSecRealtime,NextElapseUSecMonotonic,LastTriggerUSec,RandomizedDelayUSec,AccuracyUSec";

const SERVICE_PROPS: &str = "Id,ActiveState,Result,ExecMainCode,ExecMainStatus,\
ExecMainStartTimestamp,ExecMainExitTimestamp,RuntimeMaxUSec,ExecStart";

/// The most timers of one manager judged; more is a broken manager.
const TIMERS_MAX: usize = 10_000;

const UNITS_PER_CALL: usize = 256;

/// Every loaded timer of `manager` with its service (odd names counted in `odd`); `budget` says
/// if an extra call may start.
pub(crate) fn timers(
    manager: &Manager,
    budget: &mut dyn FnMut() -> bool,
    odd: &mut usize,
) -> Result<Vec<Timer>, Error> {
    // The loaded timers (transient too), then unloaded ones with a unit file (a stopped timer).
    let out = manager.systemctl(&["show", "--timestamp=unix", "-p", TIMER_PROPS, "*.timer"])?;
    let mut all = props::blocks(&out);
    if all.iter().all(|p| p.all("Id").next().is_none()) && !out.trim().is_empty() {
        let reason = "`systemctl show` printed no unit's properties";
        return Err(failed(&manager.describe(), reason.to_owned(), None));
    }
    let files = manager.systemctl(&["list-unit-files", "--type=timer", "--no-legend"])?;
    // Looked up in sets, not by scanning: a manager may list thousands.
    let listed: HashSet<&str> = all.iter().map(|p| p.text("Id")).collect();
    let unloaded: BTreeSet<&str> = (files.lines())
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| is_unit_name(name, ".timer") && !name.ends_with("@.timer"))
        .filter(|name| !listed.contains(name))
        .collect();
    let count = all.len() + unloaded.len();
    if count > TIMERS_MAX {
        let reason = format!("it lists {count} timers, more than the {TIMERS_MAX} judged");
        return Err(failed(&manager.describe(), reason, None));
    }
    all.extend(show_each(manager, TIMER_PROPS, unloaded)?);
    all.retain(|p| matches!(p.text("LoadState"), "loaded" | "masked") && !p.text("Id").is_empty());
    let loaded = all.len();
    all.retain(|p| is_unit_name(p.text("Id"), ".timer") && is_unit_name(p.text("Unit"), ""));
    *odd += loaded - all.len();
    let names = all.iter().map(|t| t.text("Unit")).collect();
    let services = show_each(manager, SERVICE_PROPS, names)?;
    // Reversed, so that of two with one name the first wins, as a search would.
    let services: HashMap<&str, &Props> =
        (services.iter().rev()).map(|s| (s.text("Id"), s)).collect();
    let (now, mono) = (Utc::now(), monotonic_now_us());
    // A monotonic instant in realtime: as far from now as from monotonic now.
    let realtime = |us: u64| {
        let ahead = i64::try_from(us).ok()? - mono?;
        now.checked_add_signed(chrono::Duration::microseconds(ahead))
    };
    let timer = |t| timer(manager, t, &services, &realtime, budget);
    Ok(all.iter().map(timer).collect())
}

fn show_each(manager: &Manager, props: &str, names: BTreeSet<&str>) -> Result<Vec<Props>, Error> {
    let names: Vec<&str> = names.into_iter().collect();
    let mut all = Vec::new();
    for chunk in names.chunks(UNITS_PER_CALL) {
        let mut args = vec!["show", "--timestamp=unix", "-p", props, "--"];
        args.extend(chunk);
        let out = manager.systemctl(&args)?;
        all.extend(props::blocks(&out));
    }
    Ok(all)
}

fn timer(
    manager: &Manager,
    t: &Props,
    services: &HashMap<&str, &Props>,
    realtime: &dyn Fn(u64) -> Option<DateTime<Utc>>,
    budget: &mut dyn FnMut() -> bool,
) -> Timer {
    let stem = t.text("Id").strip_suffix(".timer").unwrap_or(t.text("Id"));
    let user = manager.user();
    let triggers: Vec<(&str, &str)> = (t.all("TimersCalendar").chain(t.all("TimersMonotonic")))
        .filter_map(props::trigger)
        .collect();
    let calendars = || {
        (triggers.iter())
            .filter_map(|&(setting, next)| Some((setting.strip_prefix("OnCalendar=")?, next)))
    };
    let last_trigger = props::timestamp(t.text("LastTriggerUSec"));
    let active = t.text("ActiveState") == "active";
    let mut period = (triggers.iter())
        .filter_map(|(setting, _)| {
            let (kind, value) = setting.split_once('=')?;
            matches!(kind, "OnUnitActiveUSec" | "OnUnitInactiveUSec")
                .then(|| props::timespan_seconds(value))?
        })
        .min();
    // A monotonic setting elapsed for good (`OnBootSec=`) keeps its old next: systemd's counts.
    let monotonic = props::timespan_us(t.text("NextElapseUSecMonotonic")).filter(|us| *us > 0);
    let fires = calendars().filter_map(|(_, next)| props::timestamp(next));
    let mut next_fire = fires.chain(monotonic.and_then(realtime)).min();
    if active {
        next_fire = next_fire.or_else(|| props::timestamp(t.text("NextElapseUSecRealtime")));
    } else {
        // systemd computes nothing for a stopped timer: the schedule's next after the last run.
        next_fire = last_trigger.and_then(|last| {
            let by_span = period.map(|p| plus(last, p));
            let by_calendar = calendars()
                .filter_map(|(spec, _)| budget().then(|| calendar_after(spec, last)).flatten())
                .map(|(next, gap)| {
                    period = period.map_or(gap, |p| Some(gap.map_or(p, |g| p.min(g))));
                    next
                })
                .min();
            by_span.into_iter().chain(by_calendar).min()
        });
    }
    if let (None, Some(last), Some(next)) = (period, last_trigger, next_fire) {
        let gap = u64::try_from((next - last).num_seconds()).ok();
        period = gap.filter(|p| *p > 0);
    }
    let service = services.get(t.text("Unit")).copied();
    let run = service.map(run_of).unwrap_or_default();
    let failed = !run.running && !run.result.is_empty() && run.result != "success";
    let journal = (failed && budget()).then(|| manager.journal(t.text("Unit"), run.started));
    let execs = service.map(|s| s.all("ExecStart")).into_iter().flatten();
    let calls = (execs.flat_map(props::exec_argvs))
        .flat_map(crate::schedule::command::find_hb_writes)
        .filter_map(|call| call.job.filter(|w| !w.expands));
    let mut aliases = vec![user_job(user, stem)];
    aliases.extend(calls.map(|w| user_job(user, &w.text)));
    let settings: Vec<&str> = triggers.iter().map(|t| t.0).collect();
    Timer {
        job: user_job(user, &format!("timer:{stem}")),
        service: t.text("Unit").to_owned(),
        file_state: t.text("UnitFileState").to_owned(),
        active,
        condition_met: t.text("ConditionResult") != "no",
        schedule: settings.join("; "),
        last_trigger,
        next_fire,
        period,
        randomized_delay: props::timespan_seconds(t.text("RandomizedDelayUSec")).unwrap_or(0),
        accuracy: props::timespan_seconds(t.text("AccuracyUSec")).unwrap_or(0),
        run,
        journal: journal.flatten(),
        aliases,
        unit: t.text("Id").to_owned(),
    }
}

fn run_of(s: &Props) -> Run {
    let started = props::timestamp(s.text("ExecMainStartTimestamp"));
    let ended = props::timestamp(s.text("ExecMainExitTimestamp"));
    let state = s.text("ActiveState");
    // A oneshot with RemainAfterExit= stays active after its process ended.
    let exited = matches!((started, ended), (Some(s), Some(e)) if e >= s);
    let running = matches!(state, "activating" | "deactivating" | "reloading")
        || (state == "active" && !exited);
    let code = s.text("ExecMainCode");
    let exit = match (code, s.text("ExecMainStatus").parse().ok()) {
        ("1", Some(code)) => Some(Exit::Status(code)),
        ("2" | "3", Some(signal)) => Some(Exit::Signal(signal)),
        _ => None,
    };
    Run {
        running,
        result: s.text("Result").to_owned(),
        exit,
        started,
        ended,
        runtime_max: props::timespan_seconds(s.text("RuntimeMaxUSec")),
    }
}

/// A systemd unit name (letters, digits, `:_.\@-`, 255 bytes) ending in `suffix`.
pub(crate) fn is_unit_name(name: &str, suffix: &str) -> bool {
    name.len() <= 255
        && name.len() > suffix.len()
        && name.ends_with(suffix)
        && name.contains('.')
        && (name.bytes()).all(|b| b.is_ascii_alphanumeric() || b":_.\\@-".contains(&b))
}

/// The monotonic clock now, in microseconds, as systemd counts.
fn monotonic_now_us() -> Option<i64> {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec into `now`, valid for the call.
    let code = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &raw mut now) };
    (code == 0).then(|| now.tv_sec * 1_000_000 + now.tv_nsec / 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_names_follow_systemds_rule() {
        for good in [
            "certbot.timer",
            "e2scrub_all.timer",
            "backup@db\\x2d1.timer",
            "a:b.timer",
        ] {
            assert!(is_unit_name(good, ".timer"), "{good}");
        }
        let long = format!("{}.timer", "a".repeat(250));
        for bad in [
            ".timer",
            "a b.timer",
            "x.service",
            "évil.timer",
            "a;rm.timer",
            &long,
            "\u{1b}[2J.timer",
        ] {
            assert!(!is_unit_name(bad, ".timer"), "{bad}");
        }
        assert!(is_unit_name("backup.service", ""));
        assert!(!is_unit_name("", ""));
    }

    #[test]
    fn a_service_that_remains_after_exit_is_not_running() {
        let shown =
            "Id=x.service\nActiveState=active\nResult=success\nExecMainCode=1\nExecMainStatus=0\n\
ExecMainStartTimestamp=@1796531470\nExecMainExitTimestamp=@1796531471\n";
        let run = run_of(&props::blocks(shown)[0]);
        assert!(!run.running);
        assert_eq!(run.exit, Some(Exit::Status(0)));
        let running = "Id=x.service\nActiveState=activating\nExecMainStartTimestamp=@1796531470\n\
RuntimeMaxUSec=10min\n";
        let run = run_of(&props::blocks(running)[0]);
        assert!(run.running);
        assert_eq!(run.runtime_max, Some(600));
        let killed =
            "Id=x.service\nActiveState=failed\nResult=signal\nExecMainCode=2\nExecMainStatus=9\n";
        assert_eq!(
            run_of(&props::blocks(killed)[0]).exit,
            Some(Exit::Signal(9))
        );
    }
}
