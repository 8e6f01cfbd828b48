use super::*;
use crate::alert::Jobs;
use crate::judge::Judgement;
use crate::notify::compose::{changes, Facts};
use chrono::TimeZone;
use std::collections::BTreeMap;

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + seconds, 0).unwrap()
}

fn job(name: &str, status: Status, message: Option<&str>) -> Judgement {
    Judgement {
        host: Some("web1".to_owned()),
        status,
        message: message.map(str::to_owned),
        reason: Some(format!("{status} for a test")),
        ..Judgement::missing(name)
    }
}

/// A message of one stale job whose last run left `text`.
pub(crate) fn sample(text: &str) -> Message {
    let jobs = [job("backup", Status::Stale, Some(text))];
    let facts = Facts::new("web1", "hb-check", &jobs, at(0));
    let bad: Jobs = [("web1/backup".to_owned(), Status::Stale)].into();
    let diff = crate::alert::diff(&Jobs::new(), &bad);
    changes(&facts, &BTreeMap::new(), &diff, &bad, false)
}
