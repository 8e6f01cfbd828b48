//! Sixty days of forty jobs, judged every 15 minutes by the real judge and
//! by Healthchecks' rule (the next fire after the last report, plus an
//! hour of grace). Two windows of 30 days hold both 2026 clock changes in
//! Europe/Berlin; the jobs run daily, weekly or monthly, half wrapped and
//! half plain, with slow runs up to 40% of their gap, deaths, skipped runs
//! and a 3-hour cron outage. Deterministic: a fixed seed and a xorshift.

use chrono::{DateTime, Duration, Utc};

use super::{judge, Job, Policy, Status};
use crate::history::Run;
use crate::record::{Content, Entry, Heartbeat, RunStatus};
use crate::schedule::{parse_zone, Expectation, Schedule, Source, Timing};

mod rng_tests;
use rng_tests::Rng;

const CLASSES: [&str; 3] = ["daily", "weekly", "monthly"];
const CHECK_MINUTES: i64 = 15;
const HC_GRACE_MINUTES: i64 = 60;
const SLOW_RUNS: f64 = 0.03;
const SKIPS: f64 = 0.02;
const DEATHS: f64 = 0.4;
const SEEDED_RUNS: usize = 20;

/// What became of one fire.
#[derive(Clone, Copy, PartialEq)]
enum Fate {
    Ran {
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    },
    Dead,
    Skipped,
    CronDown,
}

/// A run of fires that did not run: from the first, until the job was
/// heard of again.
struct Incident {
    class: usize,
    wrapped: bool,
    cause: Fate,
    fire: DateTime<Utc>,
    until: DateTime<Utc>,
    alerted: Option<DateTime<Utc>>,
    told: bool,
    hc_alerted: Option<DateTime<Utc>>,
}

/// What happened to a job, in the order it happened: a start (wrapped
/// jobs) or a finished run.
enum Event {
    Start(DateTime<Utc>),
    End(Run),
}

#[derive(Default)]
struct Tally {
    latency: [Vec<i64>; 3],
    false_alarms: usize,
    missed: usize,
}

fn record(job: &str, interval: u64, at: DateTime<Utc>, status: RunStatus) -> Heartbeat {
    Heartbeat {
        timestamp: at,
        host: "sim".to_owned(),
        pid: 1,
        ..Heartbeat::new(job, interval, status)
    }
}

fn run(start: DateTime<Utc>, end: DateTime<Utc>) -> Run {
    Run {
        timestamp: end,
        status: RunStatus::Ok,
        exit_code: Some(0),
        duration_seconds: Some((end - start).num_seconds() as f64),
        attempts: Vec::new(),
    }
}

/// The nearest-rank 90th percentile, in whole minutes.
fn p90(values: &[i64]) -> Option<i64> {
    let mut v: Vec<u64> = values.iter().map(|m| m.max(&0).unsigned_abs()).collect();
    super::runs::percentile(&mut v).map(|m| m as i64)
}

/// What the simulation gathers: each rule's tally, the incidents and
/// the runtimes of each class.
#[derive(Default)]
struct World {
    hb: Tally,
    hc: Tally,
    incidents: Vec<Incident>,
    runtimes: [Vec<u64>; 3],
}

/// One job through one window: its fates, then every check.
#[allow(clippy::too_many_lines)]
fn simulate(
    rng: &mut Rng,
    index: usize,
    window: (DateTime<Utc>, DateTime<Utc>),
    outage: (DateTime<Utc>, DateTime<Utc>),
    world: &mut World,
) {
    let zone = parse_zone("Europe/Berlin").unwrap();
    let class = index % 3;
    let wrapped = index.is_multiple_of(2);
    let (minute, hour) = (rng.below(60), rng.below(6));
    let text = match class {
        0 => format!("{minute} {hour} * * *"),
        1 => format!("{minute} {hour} * * {}", rng.below(7)),
        _ => format!("{minute} {hour} {} * *", 1 + rng.below(28)),
    };
    let schedule = Schedule::parse(&text, zone).unwrap();
    let gap = [86_400_u64, 7 * 86_400, 30 * 86_400][class];
    let interval = [86_400_u64, 7 * 86_400, 31 * 86_400][class];
    let top = (gap as f64 * 0.2).min(6.0 * 3600.0);
    let base = (60f64.ln() + rng.unit() * (top.ln() - 60f64.ln())).exp();
    let name = format!("job{index}");
    let line = Expectation {
        job: name.clone(),
        interval,
        schedule: Some(schedule.clone()),
        source: Source {
            file: "/etc/cron.d/sim".into(),
            line: index + 1,
        },
        user: None,
        since: None,
        timing: Timing::default(),
        needs: Vec::new(),
    };
    // The runs before the window, all usual.
    let mut seeded = Vec::new();
    let mut fire = window.0;
    for _ in 0..SEEDED_RUNS {
        fire = schedule
            .latest_at_or_before(fire - Duration::seconds(1))
            .unwrap();
        let took = Duration::seconds((base * (0.8 + 0.4 * rng.unit())) as i64);
        seeded.push(run(fire, fire + took));
    }
    seeded.reverse();
    // The fates of the window's fires.
    let mut fires = Vec::new();
    let mut fire = schedule.next_after(window.0).unwrap();
    while fire < window.1 {
        fires.push(fire);
        fire = schedule.next_after(fire).unwrap();
    }
    let last_death = window.1 - Duration::days(2);
    let dies = (rng.unit() < DEATHS && !fires.is_empty())
        .then(|| rng.below(fires.len() as u64) as usize)
        .filter(|&i| fires[i] < last_death);
    let mut fates = Vec::new();
    for (i, &fire) in fires.iter().enumerate() {
        let slow = rng.unit() < SLOW_RUNS;
        let took = if slow {
            gap as f64 * (0.2 + 0.2 * rng.unit())
        } else {
            base * (0.8 + 0.4 * rng.unit())
        };
        let skip = rng.unit() < SKIPS;
        let fate = if dies.is_some_and(|d| i >= d) {
            Fate::Dead
        } else if fire >= outage.0 && fire < outage.1 {
            Fate::CronDown
        } else if skip {
            Fate::Skipped
        } else {
            let start = fire + Duration::seconds(rng.below(20) as i64);
            world.runtimes[class].push(took as u64);
            Fate::Ran {
                start,
                end: start + Duration::seconds(took as i64),
            }
        };
        fates.push((fire, fate));
    }
    // Incidents, and the events the checker sees.
    let mut events = Vec::new();
    let mut ours = Vec::new();
    let mut open: Option<Incident> = None;
    for &(fire, fate) in &fates {
        match fate {
            Fate::Ran { start, end } => {
                let heard = if wrapped { start } else { end };
                if let Some(mut i) = open.take() {
                    i.until = heard;
                    ours.push(i);
                }
                if wrapped {
                    events.push((start, Event::Start(start)));
                }
                events.push((end, Event::End(run(start, end))));
            }
            cause => {
                open.get_or_insert(Incident {
                    class,
                    wrapped,
                    cause,
                    fire,
                    until: window.1,
                    alerted: None,
                    told: false,
                    hc_alerted: None,
                });
            }
        }
    }
    ours.extend(open);
    events.sort_by_key(|(at, _)| *at);
    // The checks.
    let mut history = seeded;
    let newest = history.last().unwrap().clone();
    let finished = |r: &Run| {
        let mut beat = record(&name, interval, r.timestamp, RunStatus::Ok);
        if wrapped {
            beat.started_at = super::schedule::started(r.timestamp, r.duration_seconds);
            beat.duration_seconds = r.duration_seconds;
        }
        beat
    };
    let mut last = finished(&newest);
    let mut hc_last = newest.timestamp;
    let mut next_event = 0;
    let (mut hb_false, mut hc_false) = (false, false);
    let mut t = window.0;
    while t < window.1 {
        while next_event < events.len() && events[next_event].0 <= t {
            match &events[next_event].1 {
                Event::Start(at) => {
                    last = record(&name, interval, *at, RunStatus::Running);
                    last.started_at = Some(*at);
                }
                Event::End(r) => {
                    last = finished(r);
                    hc_last = r.timestamp;
                    history.push(r.clone());
                }
            }
            next_event += 1;
        }
        let entry = Entry {
            path: format!("{name}.last").into(),
            job: name.clone(),
            subdir: None,
            content: Ok(Content::Record(last.clone())),
        };
        let recent = &history[history.len().saturating_sub(200)..];
        let job = Job {
            crontab: Some(&line),
            recent,
            ..Job::of(&entry)
        };
        let mut policy = Policy::at(t);
        policy.rules.zone = zone;
        let status = judge(&job, &policy).status;
        let hc_due = schedule.next_after(hc_last).unwrap() + Duration::minutes(HC_GRACE_MINUTES);
        let hc_alert = t > hc_due;
        let during = ours.iter_mut().find(|i| t >= i.fire && t < i.until);
        let in_incident = during.is_some();
        if let Some(i) = during {
            if status.is_alert() && i.alerted.is_none() {
                i.alerted = Some(t);
            }
            if hc_alert && i.hc_alerted.is_none() {
                i.hc_alerted = Some(t);
            }
        }
        // A skip may be told after the run that followed it.
        if status != Status::Ok {
            for i in ours
                .iter_mut()
                .filter(|i| t >= i.fire && t < i.until + Duration::hours(1))
            {
                i.told = true;
            }
        }
        let (hb_now, hc_now) = (status.is_alert() && !in_incident, hc_alert && !in_incident);
        world.hb.false_alarms += usize::from(hb_now && !hb_false);
        world.hc.false_alarms += usize::from(hc_now && !hc_false);
        (hb_false, hc_false) = (hb_now, hc_now);
        t += Duration::minutes(CHECK_MINUTES);
    }
    world.incidents.extend(ours);
}

#[test]
fn sixty_days_of_forty_jobs_judged_start_and_run_apart() {
    let mut rng = Rng(0x5EED_2026_0329_1025);
    let mut w = World::default();
    for (from, to) in [
        ("2026-03-15T00:00:00Z", "2026-04-14T00:00:00Z"),
        ("2026-10-10T00:00:00Z", "2026-11-09T00:00:00Z"),
    ] {
        let window = (from.parse().unwrap(), to.parse().unwrap());
        let down = window.0 + Duration::days(12) + Duration::minutes(30);
        for index in 0..40 {
            simulate(
                &mut rng,
                index,
                window,
                (down, down + Duration::hours(3)),
                &mut w,
            );
        }
    }
    let mut wrapped: [Vec<i64>; 3] = Default::default();
    for i in &w.incidents {
        match i.alerted.map(|a| (a - i.fire).num_minutes()) {
            Some(m) if i.wrapped => wrapped[i.class].push(m),
            Some(m) => w.hb.latency[i.class].push(m),
            None => w.hb.missed += usize::from(!i.told),
        }
        match i.hc_alerted.map(|a| (a - i.fire).num_minutes()) {
            Some(m) => w.hc.latency[i.class].push(m),
            None => w.hc.missed += 1,
        }
    }
    let p95_runtime: Vec<i64> = w
        .runtimes
        .iter_mut()
        .map(|r| {
            r.sort_unstable();
            (r[(r.len() * 95).div_ceil(100) - 1] / 60) as i64
        })
        .collect();
    let show = |v: &[Vec<i64>; 3]| {
        let each: Vec<String> = v
            .iter()
            .map(|l| p90(l).map_or("-".to_owned(), |m| m.to_string()))
            .collect();
        each.join(" / ")
    };
    let (hb, hc, all) = (&w.hb, &w.hc, w.incidents.len());
    let count = |cause| w.incidents.iter().filter(|i| i.cause == cause).count();
    println!(
        "| | p90 latency (min) {} | false-alarm episodes | missed |",
        CLASSES.join(" / ")
    );
    println!("|---|---|---|---|");
    println!("| hb-check, wrapped jobs | {} | | |", show(&wrapped));
    println!("| hb-check, plain jobs | {} | | |", show(&hb.latency));
    println!(
        "| hb-check, all jobs | | {} | {} of {all} |",
        hb.false_alarms, hb.missed
    );
    println!(
        "| Healthchecks' rule | {} | {} | {} of {all} |",
        show(&hc.latency),
        hc.false_alarms,
        hc.missed
    );
    let (dead, skipped, down) = (
        count(Fate::Dead),
        count(Fate::Skipped),
        count(Fate::CronDown),
    );
    println!("incidents: {dead} deaths, {skipped} skips, {down} cron down; p95 runtime (min) {p95_runtime:?}");
    for class in 0..3 {
        if let Some(m) = p90(&wrapped[class]) {
            assert!(
                m <= 15 + CHECK_MINUTES,
                "wrapped {}: {m} min",
                CLASSES[class]
            );
        }
        let bound = p95_runtime[class] + 60 + CHECK_MINUTES;
        let plain = p90(&hb.latency[class]);
        assert!(
            plain.is_none_or(|m| m <= bound),
            "plain {}: {plain:?} min > {bound}",
            CLASSES[class]
        );
    }
    assert!(
        hb.false_alarms * 10 <= hc.false_alarms,
        "{} vs {}",
        hb.false_alarms,
        hc.false_alarms
    );
    assert!(
        dead > 0 && skipped > 0 && down > 0,
        "every kind of incident happens"
    );
    for i in &w.incidents {
        let seen = i.alerted.is_some() || (i.cause == Fate::Skipped && i.told);
        assert!(seen, "the run of {} was missed and not told", i.fire);
    }
}
