//! The pure decision: from the bad jobs now and what the host's issues last
//! recorded ([`super::marker`]), what the sync does; what changed is
//! [`crate::alert`]'s word. An acknowledgement covers job names: a job stays
//! acknowledged while bad in any way and leaves the set once it recovers. A
//! job that left the issue because it is paused has not recovered.

use std::collections::BTreeSet;

use crate::alert::{self, Jobs};
use crate::judge::{Judgement, Status};

/// What the sync does. Jobs that left come with the status they had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    Nothing,
    Create,
    /// Edit the open issue and comment on what changed (`diff.left`:
    /// recovered; `paused`: left the issue because they are paused).
    Update {
        diff: alert::Diff,
        paused: Vec<(String, Status)>,
    },
    Close {
        recovered: Vec<(String, Status)>,
        /// Every paused job (`None`: it was not in the issue at the close),
        /// so the close never calls all jobs recovered while some are paused.
        paused: Vec<(String, Option<Status>)>,
    },
    /// A person closed the issue while these jobs were bad: post nothing, but
    /// record on it the smaller set (`Some`) when acknowledged jobs recovered.
    Acknowledged(Option<Jobs>),
}

/// `open`: what the open issue recorded; `acknowledged`: the newest closed one's.
pub(crate) fn decide(
    alerts: &Jobs,
    now_paused: &BTreeSet<String>,
    open: Option<&Jobs>,
    acknowledged: Option<&Jobs>,
) -> Decision {
    if let Some(posted) = open {
        let mut diff = alert::diff(posted, alerts);
        let is_paused = |(job, _): &(String, Status)| now_paused.contains(job);
        let (paused, recovered): (Vec<_>, Vec<_>) = diff.left.drain(..).partition(is_paused);
        if alerts.is_empty() {
            let was = |job: &String| (job.clone(), posted.get(job).copied());
            let paused = now_paused.iter().map(was).collect();
            return Decision::Close { recovered, paused };
        }
        if alerts == posted {
            return Decision::Nothing;
        }
        diff.left = recovered;
        return Decision::Update { diff, paused };
    }
    match acknowledged.filter(|acked| !acked.is_empty()) {
        Some(acked) if alerts.keys().all(|job| acked.contains_key(job)) => {
            let mut still = acked.clone();
            still.retain(|job, _| alerts.contains_key(job));
            Decision::Acknowledged((still.len() < acked.len()).then_some(still))
        }
        _ if alerts.is_empty() => Decision::Nothing,
        _ => Decision::Create,
    }
}

/// The bad jobs among `jobs` on the issue of `host`, by [`alert_key`].
pub(crate) fn alert_set(host: &str, jobs: &[Judgement]) -> Jobs {
    alert::alerting(jobs.iter().map(|j| (alert_key(host, j), j.status)))
}

/// A job's name on `host`'s issue: `HOST/JOB` when its heartbeat comes from
/// another host, else `JOB`. It depends on the job alone, so the posted set
/// stays valid as other jobs come and go, and a job of this host keeps its
/// key when it turns `missing` (which has no host).
pub(crate) fn alert_key(host: &str, j: &Judgement) -> String {
    match &j.host {
        Some(h) if h != host => format!("{h}/{}", j.job),
        _ => j.job.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::Status::{Failed, Missing, Stale};

    fn calm() -> BTreeSet<String> {
        BTreeSet::new()
    }

    fn jobs(list: &[(&str, Status)]) -> Jobs {
        list.iter().map(|(j, s)| (j.to_string(), *s)).collect()
    }

    #[test]
    fn bad_jobs_without_an_issue_open_one() {
        let bad = jobs(&[("backup", Stale)]);
        assert_eq!(decide(&bad, &calm(), None, None), Decision::Create);
        assert_eq!(decide(&Jobs::new(), &calm(), None, None), Decision::Nothing);
    }

    #[test]
    fn an_unchanged_set_posts_nothing() {
        let bad = jobs(&[("backup", Stale)]);
        assert_eq!(decide(&bad, &calm(), Some(&bad), None), Decision::Nothing);
    }

    #[test]
    fn a_changed_set_names_what_changed() {
        let posted = jobs(&[("backup", Stale), ("db", Failed), ("mail", Failed)]);
        let now = jobs(&[("backup", Stale), ("db", Stale), ("sync", Missing)]);
        assert_eq!(
            decide(&now, &calm(), Some(&posted), None),
            Decision::Update {
                diff: alert::Diff {
                    went_bad: vec![("sync".into(), Missing)],
                    changed: vec![("db".into(), Failed, Stale)],
                    left: vec![("mail".into(), Failed)],
                },
                paused: vec![],
            }
        );
    }

    #[test]
    fn recovery_closes() {
        let posted = jobs(&[("backup", Stale)]);
        assert_eq!(
            decide(&Jobs::new(), &calm(), Some(&posted), None),
            Decision::Close {
                recovered: vec![("backup".into(), Stale)],
                paused: vec![],
            }
        );
    }

    #[test]
    fn a_paused_job_leaves_the_issue_as_paused_not_recovered() {
        let posted = jobs(&[("backup", Stale), ("db", Failed), ("mail", Failed)]);
        let now = jobs(&[("db", Failed)]);
        let paused: BTreeSet<String> = ["backup".to_owned()].into();
        assert_eq!(
            decide(&now, &paused, Some(&posted), None),
            Decision::Update {
                diff: alert::Diff {
                    left: vec![("mail".into(), Failed)],
                    ..alert::Diff::default()
                },
                paused: vec![("backup".into(), Stale)],
            }
        );
        assert_eq!(
            decide(&Jobs::new(), &paused, Some(&posted), None),
            Decision::Close {
                recovered: vec![("db".into(), Failed), ("mail".into(), Failed)],
                paused: vec![("backup".into(), Some(Stale))],
            }
        );
        // Closing names every paused job, also one that left the issue
        // earlier.
        assert_eq!(
            decide(&Jobs::new(), &paused, Some(&now), None),
            Decision::Close {
                recovered: vec![("db".into(), Failed)],
                paused: vec![("backup".into(), None)],
            }
        );
        // A paused job that was never in the issue is no news.
        assert_eq!(decide(&now, &paused, Some(&now), None), Decision::Nothing);
        assert_eq!(decide(&Jobs::new(), &paused, None, None), Decision::Nothing);
    }

    #[test]
    fn an_acknowledgement_holds_while_the_same_jobs_are_bad() {
        let acked = jobs(&[("backup", Stale), ("db", Failed)]);
        let same_names = jobs(&[("backup", Stale), ("db", Stale)]);
        assert_eq!(
            decide(&same_names, &calm(), None, Some(&acked)),
            Decision::Acknowledged(None)
        );
        let fewer = jobs(&[("db", Failed)]);
        assert_eq!(
            decide(&fewer, &calm(), None, Some(&acked)),
            Decision::Acknowledged(Some(jobs(&[("db", Failed)])))
        );
        assert_eq!(
            decide(&Jobs::new(), &calm(), None, Some(&acked)),
            Decision::Acknowledged(Some(Jobs::new()))
        );
    }

    #[test]
    fn a_new_bad_job_breaks_the_acknowledgement() {
        let acked = jobs(&[("backup", Stale)]);
        let more = jobs(&[("backup", Stale), ("db", Failed)]);
        assert_eq!(decide(&more, &calm(), None, Some(&acked)), Decision::Create);
    }

    #[test]
    fn a_closed_issue_with_an_empty_set_is_no_acknowledgement() {
        let bad = jobs(&[("backup", Stale)]);
        assert_eq!(
            decide(&bad, &calm(), None, Some(&Jobs::new())),
            Decision::Create
        );
    }

    #[test]
    fn keys_depend_on_the_job_alone() {
        let mut here = Judgement::missing("backup");
        here.status = Stale;
        here.host = Some("web1".into());
        let mut there = here.clone();
        there.host = Some("web2".into());
        let ghost = Judgement::missing("backup");
        assert_eq!(alert_key("web1", &here), "backup");
        assert_eq!(alert_key("web1", &there), "web2/backup");
        assert_eq!(alert_key("web1", &ghost), "backup");
        assert_eq!(
            alert_set("web1", &[here.clone(), there]),
            jobs(&[("backup", Stale), ("web2/backup", Stale)])
        );
        assert_eq!(alert_set("web1", &[here]), jobs(&[("backup", Stale)]));
    }
}
