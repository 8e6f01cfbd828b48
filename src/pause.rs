//! Pauses: the record of `<job>.pause` (one job) and `_host.pause` (every job in a directory),
//! and when one applies. Pure: the files live in [`crate::store`].

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};

use crate::record::{
    rfc3339_any, rfc3339_seconds, say, FUTURE_TOLERANCE_SECONDS, MESSAGE_MAX_BYTES,
};
use crate::Error;

pub(crate) const PAUSE_VERSION: u32 = 1;

/// A host-wide pause's file name; no job's (a job name starts with a letter or a digit).
pub(crate) const HOST_PAUSE_FILE: &str = "_host.pause";

pub(crate) const PAUSE_MAX: u64 = crate::record::INTERVAL_MAX;

/// The one check of a pause's length, for the writer and the reader.
fn check_length(seconds: i64) -> Result<(), String> {
    if u64::try_from(seconds).is_ok_and(|s| (1..=PAUSE_MAX).contains(&s)) {
        return Ok(());
    }
    Err(format!("a pause lasts from 1 second to {}", say(PAUSE_MAX)))
}

/// One pause: until when alerts stay quiet, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pause {
    /// Format version; [`PAUSE_VERSION`].
    pub version: u32,
    /// The paused job; `None` for a host-wide pause.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    /// When the pause was set.
    #[serde(serialize_with = "rfc3339_seconds", deserialize_with = "rfc3339_any")]
    pub since: DateTime<Utc>,
    /// When it ends by itself.
    #[serde(serialize_with = "rfc3339_seconds", deserialize_with = "rfc3339_any")]
    pub until: DateTime<Utc>,
    /// Why, as given with `--reason`; at most 1 KiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Pause {
    /// A pause of `job` (or the whole host) for `seconds` from `now`.
    pub fn new(
        job: Option<&str>,
        now: DateTime<Utc>,
        seconds: u64,
        reason: Option<&str>,
    ) -> Result<Pause, Error> {
        let seconds = i64::try_from(seconds).unwrap_or(i64::MAX);
        check_length(seconds).map_err(Error::rule)?;
        // Stored to the second, so what is written is what is read back.
        let now = now.trunc_subsecs(0);
        let until = now
            .checked_add_signed(chrono::Duration::seconds(seconds))
            .ok_or_else(|| Error::rule("the pause would end past the calendar's end"))?;
        Ok(Pause {
            version: PAUSE_VERSION,
            job: job.map(str::to_owned),
            since: now,
            until,
            reason: reason
                .map(|r| crate::record::cut(r, MESSAGE_MAX_BYTES).to_owned())
                .filter(|r| !r.trim().is_empty()),
        })
    }

    /// Parses a pause file for `job` (`None`: the host pause file). A pause
    /// that names another job than its file is refused.
    pub fn from_json(bytes: &[u8], job: Option<&str>) -> Result<Pause, Error> {
        let pause: Pause =
            serde_json::from_slice(bytes).map_err(|e| Error::rule_from(e.to_string(), e))?;
        pause.checked(job).map_err(Error::rule)
    }

    /// The pause, if it keeps the rules for the file of `job`; else why not.
    fn checked(self, job: Option<&str>) -> Result<Pause, String> {
        crate::record::check_version("pause format", self.version, PAUSE_VERSION)?;
        if let Some(named) = &self.job {
            crate::record::validate_job(named).map_err(|e| e.to_string())?;
        }
        if self.job.as_deref() != job {
            return Err(match job {
                Some(job) => format!("the pause file of job `{job}` names another job"),
                None => "the host pause file names a job".to_owned(),
            });
        }
        // The writer's bounds hold for what is read, whoever wrote it.
        check_length((self.until - self.since).num_seconds())?;
        match self.reason.as_ref().map(String::len) {
            Some(len) if len > MESSAGE_MAX_BYTES => Err(format!(
                "the reason is {len} bytes, more than a pause's {MESSAGE_MAX_BYTES}"
            )),
            _ => Ok(self),
        }
    }

    /// Whether the pause holds at `now`: from its start (give or take the
    /// clock tolerance) until, not at, its end.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.since <= now + chrono::Duration::seconds(FUTURE_TOLERANCE_SECONDS) && now < self.until
    }

    /// `until 2026-11-22T05:00:00Z` and the reason, for a report line.
    pub fn describe(&self) -> String {
        let until = crate::record::rfc3339(self.until);
        let scope = self.job.as_ref().map_or(" (host-wide)", |_| "");
        let why = self.reason.as_ref().map(|r| format!(": {r}"));
        format!("paused{scope} until {until}{}", why.unwrap_or_default())
    }
}

/// The three names of `known` nearest `name`, at most a third of its length of edits away
/// (1 to 3), nearest first: `sync-mirorr` finds `sync-mirror`.
pub(crate) fn closest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let limit = (name.chars().count() / 3).clamp(1, 3);
    let mut near: Vec<(usize, &str)> = known
        .into_iter()
        .filter(|k| *k != name)
        .map(|k| (strsim::levenshtein(name, k), k))
        .filter(|(edits, _)| *edits <= limit)
        .collect();
    near.sort_unstable();
    near.dedup();
    near.into_iter().take(3).map(|(_, k)| k).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::json_line;
    use chrono::TimeZone;

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + seconds, 0).unwrap()
    }

    #[test]
    fn a_pause_round_trips_and_ends_by_itself() {
        let pause = Pause::new(Some("backup"), at(0), 7200, Some("disk swap")).unwrap();
        let line = json_line(&pause);
        assert_eq!(
            String::from_utf8(line.clone()).unwrap(),
            "{\"version\":1,\"job\":\"backup\",\"since\":\"2027-01-15T08:00:00Z\",\"until\":\"2027-01-15T10:00:00Z\",\"reason\":\"disk swap\"}\n"
        );
        assert_eq!(Pause::from_json(&line, Some("backup")).unwrap(), pause);
        assert!(pause.is_active(at(7199)));
        assert!(!pause.is_active(at(7200)));
        assert_eq!(
            pause.describe(),
            "paused until 2027-01-15T10:00:00Z: disk swap"
        );
    }

    #[test]
    fn lengths_and_names_are_checked() {
        assert!(Pause::new(None, at(0), 0, None).is_err());
        assert!(Pause::new(None, at(0), PAUSE_MAX + 1, None).is_err());
        let host = Pause::new(None, at(0), 60, Some("  ")).unwrap();
        assert_eq!(host.reason, None, "a blank reason is no reason");
        let line = json_line(&host);
        assert!(Pause::from_json(&line, None).is_ok());
        assert!(Pause::from_json(&line, Some("backup")).is_err());
        let own = json_line(&Pause::new(Some("a"), at(0), 60, None).unwrap());
        assert!(Pause::from_json(&own, Some("b")).is_err());
        assert!(Pause::from_json(&own, None).is_err());
        assert!(Pause::from_json(b"{\"version\":2}", None).is_err());
        assert!(Pause::from_json(b"garbage", None).is_err());
    }

    #[test]
    fn a_pause_read_keeps_the_writers_bounds() {
        let line = |since: &str, until: &str, reason: &str| {
            format!(r#"{{"version":1,"since":"{since}","until":"{until}","reason":"{reason}"}}"#)
        };
        let ok = line("2027-01-15T08:00:00Z", "2028-02-19T08:00:00Z", "x");
        assert!(Pause::from_json(ok.as_bytes(), None).is_ok(), "400 days");
        for (since, until) in [
            ("2027-01-15T08:00:00Z", "9999-12-31T00:00:00Z"),
            ("2027-01-15T08:00:00Z", "2028-02-19T08:00:01Z"),
            ("2027-01-15T08:00:00Z", "2027-01-15T08:00:00Z"),
            ("2027-01-15T08:00:00Z", "2020-01-01T00:00:00Z"),
        ] {
            let err = Pause::from_json(line(since, until, "x").as_bytes(), None)
                .unwrap_err()
                .to_string();
            assert_eq!(err, "a pause lasts from 1 second to 400 days", "{until}");
        }
        let long = line(
            "2027-01-15T08:00:00Z",
            "2027-01-16T08:00:00Z",
            &"r".repeat(60_000),
        );
        assert_eq!(
            Pause::from_json(long.as_bytes(), None)
                .unwrap_err()
                .to_string(),
            "the reason is 60000 bytes, more than a pause's 1024"
        );
        // A pause that starts far in the future has not begun.
        let later = line("9999-01-01T00:00:00Z", "9999-06-01T00:00:00Z", "x");
        let later = Pause::from_json(later.as_bytes(), None).unwrap();
        assert!(!later.is_active(at(0)));
        let skewed = Pause::new(None, at(200), 60, None).unwrap();
        assert!(
            skewed.is_active(at(0)),
            "a clock a little ahead still counts"
        );
    }

    #[test]
    fn the_closest_names_are_a_few_edits_away() {
        let known = ["sync-mirror", "sync-mirrors", "backup", "sync-mirror"];
        assert_eq!(
            closest("sync-mirorr", known),
            ["sync-mirror", "sync-mirrors"]
        );
        assert_eq!(closest("bakup", known), ["backup"]);
        assert!(closest("report", known).is_empty());
        assert!(closest("ab", ["xy", "abc"]).len() == 1);
        // Three edits: near enough for a name of nine, not of six.
        assert_eq!(closest("kittenxyz", ["sittingxyz"]), ["sittingxyz"]);
        assert!(closest("kitten", ["sitting"]).is_empty());
    }
}
