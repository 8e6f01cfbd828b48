//! The marker, an HTML comment at the end of an issue body, records what
//! hb-check last posted: `<!-- heartbeat-checker {"host":"web1","jobs":{"backup":"stale"}} -->`.
//! On an open issue it is the bad jobs the issue describes; on a closed one,
//! the set a person acknowledged by closing it (empty when hb-check closed
//! it). Each comment hb-check posts ends with a tag naming the marker its
//! change leaves, `<!-- heartbeat-checker-comment 5f0c... -->`. A body shows
//! text from heartbeat files, so its *last* marker counts.

use std::collections::BTreeMap;

use crate::alert::Jobs;
use crate::judge::Status;
use crate::record::is_plain;

/// Statuses as words: one this version does not know drops that job only.
#[derive(serde::Serialize, serde::Deserialize)]
struct Wire {
    host: String,
    jobs: BTreeMap<String, String>,
    /// How many jobs past `jobs` the set holds; `rest` has their digests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    more: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rest: Option<String>,
}

/// The most characters the marker spends naming jobs (far under every
/// forge's limit); the rest are recorded by digests.
const MARKER_JOBS_MAX_CHARS: usize = 16_000;

/// The buckets of the jobs a marker does not name, a digest (8 characters)
/// each: a change among them costs only its bucket being read as changed.
const REST_BUCKETS: usize = 256;

const OPEN: &str = "<!-- heartbeat-checker ";
const CLOSE: &str = " -->";
const COMMENT_OPEN: &str = "<!-- heartbeat-checker-comment ";

/// The 64-bit FNV-1a digest of `bytes`: stable across versions and builds.
pub(crate) fn fnv(bytes: impl IntoIterator<Item = u8>) -> u64 {
    bytes
        .into_iter()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        })
}

/// How a host is written in a hidden marker: its name when [`is_plain`],
/// else a digest, so that nothing in it can end the HTML comment.
pub(crate) fn host_word(host: &str) -> String {
    if is_plain(host) {
        host.to_owned()
    } else {
        format!("host-{:016x}", fnv(host.bytes()))
    }
}

fn bucket(job: &str) -> usize {
    usize::try_from(fnv(job.bytes()) % REST_BUCKETS as u64).unwrap_or(0)
}

/// The digests of (job, status) pairs by bucket, 8 hex digits each: the
/// low 32 bits of [`fnv`] over `job NUL status NL` of the bucket's jobs.
fn rest<'a>(jobs: impl IntoIterator<Item = (&'a String, &'a Status)>) -> Vec<String> {
    let mut buckets = vec![Vec::new(); REST_BUCKETS];
    for (job, status) in jobs {
        let bytes = job.bytes().chain([0]).chain(status.as_str().bytes());
        buckets[bucket(job)].extend(bytes.chain([b'\n']));
    }
    let digest = |bytes| format!("{:08x}", fnv(bytes) & 0xffff_ffff);
    buckets.into_iter().map(digest).collect()
}

/// The marker of `host`'s `jobs` as an HTML comment ([`safe`]), naming the jobs that fit.
pub(crate) fn render(host: &str, jobs: &Jobs) -> String {
    let mut spent = 0;
    let fits = |(job, status): (&String, &Status)| {
        // What the entry costs in the rendering, escapes included.
        let name = serde_json::to_string(job).unwrap_or_default();
        spent += safe(&name).len() + status.as_str().len() + 4;
        (spent <= MARKER_JOBS_MAX_CHARS).then(|| (job.clone(), status.as_str().to_owned()))
    };
    let named: BTreeMap<String, String> = jobs.iter().map_while(fits).collect();
    let (count, more) = (named.len(), jobs.len() - named.len());
    let wire = Wire {
        host: host.to_owned(),
        jobs: named,
        more: (more > 0).then_some(more),
        rest: (more > 0).then(|| rest(jobs.iter().skip(count)).concat()),
    };
    let json = serde_json::to_string(&wire).unwrap_or_default();
    format!("{OPEN}{}{CLOSE}", safe(&json))
}

/// The host and the jobs the last marker in `body` names.
#[cfg(test)]
pub(crate) fn parse(body: &str) -> Option<(String, Jobs)> {
    read(body).map(|(host, jobs, _)| (host, jobs))
}

/// The jobs of the last marker in `body`, read against `now`: of the jobs of
/// `now` past the last one it names, those of every bucket whose digest is
/// unchanged read back; the others are left out, so count as changed.
pub(crate) fn parse_against(body: &str, now: &Jobs) -> Option<Jobs> {
    let (_, mut jobs, recorded) = read(body)?;
    if let Some(recorded) = recorded {
        let last = jobs.keys().next_back().cloned();
        let past = |(job, _): &(&String, &Status)| last.as_ref() < Some(job);
        let tail: Vec<_> = now.iter().filter(past).collect();
        let digests = rest(tail.iter().copied());
        // 8 hex digits per bucket; anything else matches no bucket.
        let same = |b: usize| recorded.get(b * 8..b * 8 + 8) == Some(&digests[b]);
        let kept = tail.into_iter().filter(|(job, _)| same(bucket(job)));
        jobs.extend(kept.map(|(j, s)| (j.clone(), *s)));
    }
    Some(jobs)
}

/// The tag of a comment announcing the marker of `host`'s `jobs`.
pub(crate) fn comment_tag(host: &str, jobs: &Jobs) -> String {
    format!(
        "{COMMENT_OPEN}{:016x}{CLOSE}",
        fnv(render(host, jobs).bytes())
    )
}

/// `body` with its marker replaced by that of `host`'s `jobs`, or that one added.
pub(crate) fn replace_in(host: &str, jobs: &Jobs, body: &str) -> String {
    let marker = render(host, jobs);
    match last(body, OPEN) {
        Some((start, end)) => format!("{}{marker}{}", &body[..start], &body[end..]),
        None if body.is_empty() => marker,
        None => format!("{}\n\n{marker}", body.trim_end()),
    }
}

/// `json` with `<`, `>` (which could end the comment), `@`, `#` (mentions,
/// references) and [`crate::escape::is_unsafe`] characters as JSON escapes,
/// which read back the same (serde_json writes them only inside strings).
fn safe(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if matches!(c, '<' | '>' | '@' | '#') || crate::escape::is_unsafe(c) {
            for unit in c.encode_utf16(&mut [0; 2]) {
                out += &format!("\\u{unit:04x}");
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The last marker in `body`: its host, jobs and the digests of those it does not name.
fn read(body: &str) -> Option<(String, Jobs, Option<String>)> {
    let (start, end) = last(body, OPEN)?;
    let wire: Wire = serde_json::from_str(&body[start + OPEN.len()..end - CLOSE.len()]).ok()?;
    let status = |word: &str| Status::ALL.into_iter().find(|s| s.as_str() == word);
    let known = |(job, word): (String, String)| Some((job, status(&word)?));
    let jobs = wire.jobs.into_iter().filter_map(known).collect();
    Some((wire.host, jobs, wire.more.and(wire.rest)))
}

pub(crate) fn comment_tag_in(comment: &str) -> Option<&str> {
    let (start, end) = last(comment, COMMENT_OPEN)?;
    Some(&comment[start..end])
}

/// The byte range of the last `open ... -->` in `text`.
fn last(text: &str, open: &str) -> Option<(usize, usize)> {
    let start = text.rfind(open)?;
    let end = start + open.len() + text[start + open.len()..].find(CLOSE)? + CLOSE.len();
    Some((start, end))
}

#[cfg(test)]
#[path = "marker_tests.rs"]
mod tests;
