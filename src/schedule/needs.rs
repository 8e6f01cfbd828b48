//! Lint of the dependencies the hb-write lines declare (`--needs`): a job
//! must need a job the crontabs run, and no job may need itself, directly
//! or through others.

use std::collections::HashMap;

use super::{Expectation, Lint};
use crate::record::user_job;

/// Warnings about the `--needs` of the lines `found`: each unknown job
/// needed (among the same user's jobs), at the line that names it, and
/// each cycle once, at the line that closes it. Each job is walked once.
pub(crate) fn lint(found: &[Expectation]) -> Vec<Lint> {
    let mut warnings = Vec::new();
    let lines: HashMap<String, &Expectation> = (super::first_lines(found).into_iter())
        .map(|(name, i)| (name, &found[i]))
        .collect();
    let needs_of = |e: &Expectation| -> Vec<String> {
        (e.needs.iter())
            .map(|n| user_job(e.user.as_deref(), n))
            .collect()
    };
    for e in found {
        for (name, key) in e.needs.iter().zip(needs_of(e)) {
            if !lines.contains_key(&key) {
                let job = &e.job;
                let why = format!("job `{job}` needs `{name}`, which no crontab read runs with hb-write; name a job that writes heartbeats, or drop --needs");
                warnings.push(Lint::new(e.source.clone(), why));
            }
        }
    }
    // Depth-first by name: absent, on the path (false) or done (true).
    let mut state: HashMap<&str, bool> = HashMap::new();
    let mut names: Vec<&String> = lines.keys().collect();
    names.sort();
    for start in names {
        if state.contains_key(start.as_str()) {
            continue;
        }
        // The path walked, each with the needs still to visit.
        let mut path: Vec<(&str, Vec<String>)> = vec![(start, needs_of(lines[start]))];
        state.insert(start, false);
        while let Some((name, todo)) = path.last_mut() {
            let name: &str = name;
            let Some(next) = todo.pop() else {
                state.insert(name, true);
                path.pop();
                continue;
            };
            let Some((key, line)) = lines.get_key_value(&next) else {
                continue;
            };
            match state.get(key.as_str()) {
                Some(true) => {}
                Some(false) => {
                    let from = path.iter().position(|(n, _)| *n == key.as_str());
                    let mut circle: Vec<&str> =
                        path[from.unwrap_or(0)..].iter().map(|(n, _)| *n).collect();
                    circle.push(key);
                    let circle = circle.join(" -> ");
                    let why = format!("the --needs of these jobs go round in a cycle ({circle}): a job in it can never be told apart from its cause; drop one --needs");
                    warnings.push(Lint::new(lines[name].source.clone(), why));
                }
                None => {
                    state.insert(key, false);
                    path.push((key, needs_of(line)));
                }
            }
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::Source;
    use std::path::PathBuf;

    fn job(name: &str, needs: &[&str], line: usize) -> Expectation {
        Expectation {
            job: name.to_owned(),
            interval: 3600,
            schedule: None,
            source: Source {
                file: PathBuf::from("/etc/cron.d/jobs"),
                line,
            },
            user: None,
            since: None,
            needs: needs.iter().map(|n| (*n).to_owned()).collect(),
            timing: crate::schedule::Timing::default(),
        }
    }

    #[test]
    fn a_cycle_is_told_once_at_the_line_that_closes_it() {
        let found = [
            job("a", &["b"], 1),
            job("b", &["c"], 2),
            job("c", &["a"], 3),
            job("d", &["a"], 4),
        ];
        let warnings = lint(&found);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        let text = warnings[0].to_string();
        assert!(text.starts_with("/etc/cron.d/jobs:3: "), "{text}");
        assert!(text.contains("(a -> b -> c -> a)"), "{text}");
    }

    #[test]
    fn a_job_that_needs_itself_or_an_unknown_job_is_told_with_its_line() {
        let warnings = lint(&[job("a", &["a"], 7), job("b", &["nfs"], 9)]);
        let texts: Vec<String> = warnings.iter().map(ToString::to_string).collect();
        assert_eq!(texts.len(), 2, "{texts:?}");
        assert!(texts
            .iter()
            .any(|t| t.starts_with("/etc/cron.d/jobs:9: job `b` needs `nfs`")));
        assert!(texts
            .iter()
            .any(|t| t.starts_with("/etc/cron.d/jobs:7: ") && t.contains("(a -> a)")));
    }

    #[test]
    fn a_chain_without_a_cycle_is_quiet() {
        assert!(lint(&[job("a", &["b"], 1), job("b", &["c"], 2), job("c", &[], 3)]).is_empty());
    }
}
