//! A stateful fake of a Gitea (or GitHub) server on 127.0.0.1, with fault
//! injection. In Gitea mode every request and answer is checked against the
//! Gitea API contract (`tests/contract/gitea.json`, the part of the
//! published description the client uses); every mismatch is recorded as a
//! violation.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use serde_json::{json, Value};

use super::swagger::Spec;
use super::{Cmd, Outcome, Scratch, NOW, TOKEN};

pub const OWNER: &str = "ops";
pub const REPO: &str = "alerts";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    Gitea,
    Github,
}

/// A deliberate misbehaviour for matching requests.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Answer this status with a JSON error and do nothing.
    Status(u16, &'static str),
    /// Answer 429 with `Retry-After: seconds`.
    TooMany(u64),
    /// Do the work, then answer 502 as a proxy whose upstream answer was lost.
    LostAnswer,
    /// Wait this long before doing anything.
    Delay(Duration),
    /// Answer 401 with a message that repeats the Authorization header.
    EchoAuth,
    /// Answer this status with these headers and this JSON body, and do
    /// nothing.
    Reply(u16, Vec<(&'static str, String)>, Value),
    /// Add this label first, as another host's run would a moment before,
    /// then handle the request.
    LabelAppears(&'static str),
    /// Answer 401 with a message that repeats the Authorization header
    /// upper-cased, and again broken over two lines.
    EchoAuthMangled,
    /// Answer with this status and a body that never ends (no length, the
    /// connection kept open while the client reads).
    Endless(u16),
    /// Answer with this status and a body of this many bytes.
    Huge(u16, usize),
    /// Answer 200 with a JSON array sent one byte every so often.
    Trickle(Duration),
}

/// Ways a server or a proxy in front of it pages differently from Gitea.
#[derive(Clone, Copy, Default, Debug)]
pub struct Paging {
    /// Serve the first page whatever `page` asks for.
    pub ignore_page: bool,
    /// Give at most this many items a page, whatever the size asked.
    pub cap: Option<usize>,
    /// Leave out `X-Total-Count`.
    pub no_total: bool,
    /// Announce this `X-Total-Count` instead of the real one.
    pub total: Option<usize>,
}

struct Rule {
    method: &'static str,
    suffix: &'static str,
    fault: Fault,
    skip: usize,
    left: usize,
}

#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Option<Value>,
    pub auth: Option<String>,
    pub user_agent: Option<String>,
    pub operation: Option<(String, String)>,
}

#[derive(Clone, Debug)]
pub struct Issue {
    pub number: u64,
    pub title: String,
    pub body: String,
    pub labels: Vec<u64>,
    pub open: bool,
    pub is_pull: bool,
    pub created_at: String,
    pub closed_at: Option<String>,
    pub comments: Vec<String>,
    /// The login that wrote each of `comments`.
    pub comment_authors: Vec<String>,
    /// The login that opened the issue.
    pub author: String,
}

/// The title prefix of host `web1`'s issues.
pub const PREFIX: &str = "[heartbeat-checker] web1:";

/// The login the test token belongs to.
pub const BOT: &str = "hb-bot";

#[derive(Default)]
struct State {
    paging: Paging,
    labels: Vec<(u64, String)>,
    issues: Vec<Issue>,
    next_label: u64,
    requests: Vec<Request>,
    violations: Vec<String>,
    rules: Vec<Rule>,
    clock: i64,
}

pub struct Forge {
    pub mode: Mode,
    port: u16,
    token: String,
    state: Arc<Mutex<State>>,
}

/// A fake Gitea checked against the Gitea API contract (or the whole
/// description `HB_GITEA_SPEC` names) with the test [`TOKEN`]; `None`, after
/// a visible skip, only when `HB_GITEA_SPEC` names a missing file (a failure
/// under `CI`).
#[track_caller]
pub fn gitea() -> Option<Forge> {
    Spec::gitea().map(|spec| Forge::start(Mode::Gitea, Some(Arc::new(spec)), TOKEN))
}

/// A fake GitHub with the test [`TOKEN`] (checked against what GitHub
/// documents for the operations the client uses).
pub fn github() -> Forge {
    Forge::start(Mode::Github, None, TOKEN)
}

impl Forge {
    /// Starts a server answering as `mode`; Gitea requests are checked
    /// against `spec`.
    pub fn start(mode: Mode, spec: Option<Arc<Spec>>, token: &str) -> Forge {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State {
            next_label: 1,
            clock: 1_795_000_000,
            ..State::default()
        }));
        let forge = Forge {
            mode,
            port,
            token: token.to_owned(),
            state: state.clone(),
        };
        let token = token.to_owned();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = state.clone();
                let spec = spec.clone();
                let token = token.clone();
                thread::spawn(move || {
                    let _ = serve(stream, mode, &state, spec.as_deref(), &token, port);
                });
            }
        });
        forge
    }

    /// The URL hb-check is given: the server for Gitea, the API base for
    /// GitHub.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    /// The `HB_*` settings that point hb-check at this server as host
    /// `web1`.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let kind = match self.mode {
            Mode::Gitea => "gitea",
            Mode::Github => "github",
        };
        vec![
            ("HB_TRACKER_URL", self.url()),
            ("HB_TRACKER_REPO", format!("{OWNER}/{REPO}")),
            ("HB_TRACKER_TOKEN", self.token.clone()),
            ("HB_HOST", "web1".to_owned()),
            ("HB_TRACKER_KIND", kind.to_owned()),
        ]
    }

    /// Runs [`Forge::hb_check`] with extra environment and arguments, and
    /// asserts that the token shows nowhere in what it printed.
    #[track_caller]
    pub fn check_with(&self, dir: &Scratch, extra: &[(&str, &str)], args: &[&str]) -> Outcome {
        let r = self
            .hb_check(dir)
            .envs(extra.iter().copied())
            .args(args)
            .run();
        r.no_token();
        r
    }

    /// Host `web1`'s open issues (never pull requests).
    pub fn open_issues(&self) -> Vec<Issue> {
        self.issues_titled(PREFIX)
            .into_iter()
            .filter(|i| i.open)
            .collect()
    }

    /// hb-check over `scratch`'s heartbeat directory, judging at
    /// [`NOW`], with this server as its tracker.
    pub fn hb_check(&self, scratch: &Scratch) -> Cmd {
        scratch.hb_check().env("HB_NOW", NOW).envs(self.env())
    }

    /// Misbehaves `times` times on requests whose method is `method` and
    /// whose path ends with `suffix`.
    pub fn fault(&self, method: &'static str, suffix: &'static str, fault: Fault, times: usize) {
        self.fault_after(method, suffix, 0, fault, times);
    }

    /// Like [`Forge::fault`], after letting `skip` matching requests through.
    pub fn fault_after(
        &self,
        method: &'static str,
        suffix: &'static str,
        skip: usize,
        fault: Fault,
        times: usize,
    ) {
        self.state.lock().unwrap().rules.push(Rule {
            method,
            suffix,
            fault,
            skip,
            left: times,
        });
    }

    /// Pages listings differently from here on.
    pub fn paging(&self, paging: Paging) {
        self.state.lock().unwrap().paging = paging;
    }

    pub fn add_label(&self, name: &str) -> u64 {
        let mut s = self.state.lock().unwrap();
        add_label(&mut s, name)
    }

    /// Adds an issue (or pull request) in the web interface, as the
    /// checker's own account ([`BOT`]) would.
    pub fn add_issue(
        &self,
        title: &str,
        body: &str,
        labels: &[&str],
        open: bool,
        is_pull: bool,
    ) -> u64 {
        self.add_issue_by(BOT, title, body, labels, open, is_pull)
    }

    /// Adds an issue (or pull request) opened by the account `author`.
    pub fn add_issue_by(
        &self,
        author: &str,
        title: &str,
        body: &str,
        labels: &[&str],
        open: bool,
        is_pull: bool,
    ) -> u64 {
        let mut s = self.state.lock().unwrap();
        let ids = labels
            .iter()
            .map(|name| match s.labels.iter().find(|(_, n)| n == name) {
                Some((id, _)) => *id,
                None => add_label(&mut s, name),
            })
            .collect();
        let now = tick(&mut s);
        let number = s.issues.len() as u64 + 1;
        s.issues.push(Issue {
            number,
            title: title.to_owned(),
            body: body.to_owned(),
            labels: ids,
            open,
            is_pull,
            closed_at: (!open).then(|| now.clone()),
            created_at: now,
            comments: Vec::new(),
            comment_authors: Vec::new(),
            author: author.to_owned(),
        });
        number
    }

    /// Adds a comment written by the account `author`.
    pub fn add_comment_by(&self, number: u64, author: &str, text: &str) {
        let mut s = self.state.lock().unwrap();
        let issue = &mut s.issues[number as usize - 1];
        issue.comments.push(text.to_owned());
        issue.comment_authors.push(author.to_owned());
    }

    /// Sets the server's clock so that the next change (an issue opened, a
    /// comment) is stamped `at` (RFC 3339); later ones a minute apart.
    pub fn set_clock(&self, at: &str) {
        let at = chrono::DateTime::parse_from_rfc3339(at).expect("an RFC 3339 time");
        self.state.lock().unwrap().clock = at.timestamp() - 60;
    }

    /// Sets the `created_at` the server gives for issue `number`, as is
    /// (a server may send anything).
    pub fn set_created_at(&self, number: u64, text: &str) {
        text.clone_into(&mut self.state.lock().unwrap().issues[number as usize - 1].created_at);
    }

    /// Closes an issue as a person would, in the web interface.
    pub fn close_by_hand(&self, number: u64) {
        let mut s = self.state.lock().unwrap();
        let now = tick(&mut s);
        let issue = &mut s.issues[number as usize - 1];
        issue.open = false;
        issue.closed_at = Some(now);
    }

    pub fn issue(&self, number: u64) -> Issue {
        self.state.lock().unwrap().issues[number as usize - 1].clone()
    }

    /// Every issue (not pull request) whose title starts with `prefix`.
    pub fn issues_titled(&self, prefix: &str) -> Vec<Issue> {
        let s = self.state.lock().unwrap();
        s.issues
            .iter()
            .filter(|i| !i.is_pull && i.title.starts_with(prefix))
            .cloned()
            .collect()
    }

    pub fn label_names(&self) -> Vec<String> {
        let s = self.state.lock().unwrap();
        s.labels.iter().map(|(_, n)| n.clone()).collect()
    }

    pub fn label_id(&self, name: &str) -> Option<u64> {
        let s = self.state.lock().unwrap();
        s.labels.iter().find(|(_, n)| n == name).map(|(id, _)| *id)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.state.lock().unwrap().requests.clone()
    }

    /// How many requests used `method`.
    pub fn count(&self, method: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.method == method)
            .count()
    }

    /// How many requests used `method` on a path ending with `suffix`.
    pub fn count_to(&self, method: &str, suffix: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.method == method && r.path.ends_with(suffix))
            .count()
    }

    /// How many write requests (anything but GET) came.
    pub fn writes(&self) -> usize {
        self.requests().iter().filter(|r| r.method != "GET").count()
    }

    /// Forgets the requests seen so far (the state stays).
    pub fn clear_requests(&self) {
        self.state.lock().unwrap().requests.clear();
    }

    pub fn violations(&self) -> Vec<String> {
        self.state.lock().unwrap().violations.clone()
    }

    /// Fails when any request or answer broke the API description, or did
    /// not authenticate as expected, or when no request came or one matched
    /// no documented operation.
    pub fn assert_clean(&self) {
        let violations = self.violations();
        assert!(
            violations.is_empty(),
            "requests or answers that break the API description:\n{}",
            violations.join("\n")
        );
        let requests = self.requests();
        assert!(!requests.is_empty(), "no request reached the server");
        let unmatched: Vec<String> = requests
            .iter()
            .filter(|r| r.operation.is_none())
            .map(|r| format!("{} {}", r.method, r.path))
            .collect();
        assert!(
            unmatched.is_empty(),
            "requests that match no documented operation:\n{}",
            unmatched.join("\n")
        );
    }
}

fn add_label(s: &mut State, name: &str) -> u64 {
    let id = s.next_label;
    s.next_label += 1;
    s.labels.push((id, name.to_owned()));
    id
}

/// A fake clock that moves a minute for every change, so that creation
/// times differ and sort.
fn tick(s: &mut State) -> String {
    s.clock += 60;
    chrono::DateTime::from_timestamp(s.clock, 0)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
}

fn answer(status: u16, body: Value) -> Answer {
    Answer {
        status,
        headers: Vec::new(),
        body,
    }
}

fn error(status: u16, message: &str) -> Answer {
    answer(
        status,
        json!({ "message": message, "url": "https://example.com/api/swagger" }),
    )
}

fn serve(
    stream: TcpStream,
    mode: Mode,
    state: &Mutex<State>,
    spec: Option<&Spec>,
    token: &str,
    port: u16,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(());
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_owned();
    let target = parts.next().unwrap_or("").to_owned();
    let mut headers = BTreeMap::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h)?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut raw = vec![0; length];
    reader.read_exact(&mut raw)?;
    let (path, query) = split_target(&target);
    let body: Option<Value> =
        (!raw.is_empty()).then(|| serde_json::from_slice(&raw).unwrap_or(Value::Null));

    let mut violations = Vec::new();
    let mut operation = None;
    match (mode, spec) {
        (Mode::Gitea, Some(spec)) => {
            let (matched, problems) = spec.check_request(
                &method,
                &path,
                &query,
                headers.get("content-type").map(String::as_str),
                (!raw.is_empty()).then_some(&raw[..]),
            );
            violations.extend(problems);
            operation = matched.map(|m| (m.template, m.operation_id));
        }
        (Mode::Github, _) => {
            let (matched, problems) = check_github(&method, &path, &query, body.as_ref());
            violations.extend(problems);
            operation = matched.map(|id| (path.clone(), id.to_owned()));
        }
        (Mode::Gitea, None) => {}
    }
    match headers.get("user-agent") {
        Some(ua) if ua.starts_with("cron-heartbeat/") => {}
        other => violations.push(format!(
            "{method} {path}: user agent {other:?} does not name the tool"
        )),
    }

    let fault = {
        let mut s = state.lock().unwrap();
        s.violations.extend(violations);
        s.requests.push(Request {
            method: method.clone(),
            path: path.clone(),
            query: query.clone(),
            body: body.clone(),
            auth: headers.get("authorization").cloned(),
            user_agent: headers.get("user-agent").cloned(),
            operation,
        });
        let rule = s
            .rules
            .iter_mut()
            .find(|r| r.left > 0 && r.method == method && path.ends_with(r.suffix));
        rule.and_then(|r| {
            if r.skip > 0 {
                r.skip -= 1;
                return None;
            }
            r.left -= 1;
            Some(r.fault.clone())
        })
    };

    let mut lost = false;
    let mut stream = stream;
    match &fault {
        Some(Fault::Endless(status)) => {
            let head = format!("HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n[");
            stream.write_all(head.as_bytes())?;
            let chunk = "{\"number\":1},".repeat(4096);
            loop {
                // Ends when the client hangs up.
                stream.write_all(chunk.as_bytes())?;
            }
        }
        Some(Fault::Huge(status, size)) => {
            let head = format!("HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n");
            stream.write_all(head.as_bytes())?;
            let chunk = vec![b' '; 1 << 16];
            let mut left = *size;
            while left > 0 {
                let n = left.min(chunk.len());
                stream.write_all(&chunk[..n])?;
                left -= n;
            }
            return stream.flush();
        }
        Some(Fault::Trickle(every)) => {
            let body = "[]".to_owned() + &" ".repeat(10_000);
            let head = format!("HTTP/1.1 200 X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
            stream.write_all(head.as_bytes())?;
            for byte in body.bytes() {
                stream.write_all(&[byte])?;
                stream.flush()?;
                thread::sleep(*every);
            }
            return stream.flush();
        }
        _ => {}
    }
    let reply = match fault {
        Some(Fault::Endless(_) | Fault::Huge(..) | Fault::Trickle(_)) | None => None,
        Some(Fault::EchoAuthMangled) => {
            let auth = headers.get("authorization").cloned().unwrap_or_default();
            let token = auth.trim_start_matches("Bearer ");
            let (a, b) = token.split_at(token.len() / 2);
            Some(error(
                401,
                &format!(
                    "bad credentials: {} (also seen: {a}\n{b})",
                    auth.to_uppercase()
                ),
            ))
        }
        Some(Fault::Status(code, message)) => Some(error(code, message)),
        Some(Fault::TooMany(seconds)) => {
            let mut a = error(429, "rate limit exceeded");
            a.headers.push(("Retry-After".into(), seconds.to_string()));
            Some(a)
        }
        Some(Fault::EchoAuth) => Some(error(
            401,
            &format!(
                "bad credentials: {}",
                headers.get("authorization").cloned().unwrap_or_default()
            ),
        )),
        Some(Fault::Reply(status, extra, body)) => Some(Answer {
            status,
            headers: extra.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
            body,
        }),
        Some(Fault::LabelAppears(name)) => {
            add_label(&mut state.lock().unwrap(), name);
            None
        }
        Some(Fault::Delay(d)) => {
            thread::sleep(d);
            None
        }
        Some(Fault::LostAnswer) => {
            lost = true;
            None
        }
    };
    let reply = match reply {
        Some(reply) => reply,
        None if headers.get("authorization") != Some(&format!("Bearer {token}")) => {
            error(401, "token is required")
        }
        None => {
            let mut s = state.lock().unwrap();
            let a = route(&mut s, mode, &method, &path, &query, body.as_ref(), port);
            if let (Mode::Gitea, Some(spec)) = (mode, spec) {
                let bytes = serde_json::to_vec(&a.body).unwrap();
                let problems = spec.check_response(&method, &path, a.status, &bytes);
                s.violations.extend(problems);
            }
            a
        }
    };
    let reply = if lost {
        error(502, "Bad Gateway")
    } else {
        reply
    };
    let text = serde_json::to_string(&reply.body).unwrap();
    let mut out = format!(
        "HTTP/1.1 {} X\r\nContent-Type: application/json;charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n",
        reply.status,
        text.len()
    );
    for (k, v) in &reply.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(&text);
    stream.write_all(out.as_bytes())?;
    stream.flush()
}

fn split_target(target: &str) -> (String, Vec<(String, String)>) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let query = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect();
    (path.to_owned(), query)
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What GitHub documents for the operations the client uses: the
/// operation matched (named as in GitHub's REST description), and every
/// mismatch.
fn check_github(
    method: &str,
    path: &str,
    query: &[(String, String)],
    body: Option<&Value>,
) -> (Option<&'static str>, Vec<String>) {
    let mut problems = Vec::new();
    if (method, path) == ("GET", "/user") {
        return (Some("users/get-authenticated"), Vec::new());
    }
    let repo = format!("/repos/{OWNER}/{REPO}");
    let Some(rest) = path.strip_prefix(&repo) else {
        return (None, vec![format!("{method} {path}: not a repo path")]);
    };
    let segs: Vec<&str> = rest.split('/').skip(1).collect();
    let (operation, query_ok, body_ok, required): (&str, &[&str], &[&str], &[&str]) =
        match (method, segs.as_slice()) {
            ("GET", ["issues"]) => (
                "issues/list-for-repo",
                &[
                    "milestone",
                    "state",
                    "assignee",
                    "type",
                    "creator",
                    "mentioned",
                    "labels",
                    "sort",
                    "direction",
                    "since",
                    "per_page",
                    "page",
                ],
                &[],
                &[],
            ),
            ("POST", ["issues"]) => (
                "issues/create",
                &[],
                &[
                    "title",
                    "body",
                    "assignee",
                    "milestone",
                    "labels",
                    "assignees",
                    "type",
                ],
                &["title"],
            ),
            ("PATCH", ["issues", n]) if n.parse::<u64>().is_ok() => (
                "issues/update",
                &[],
                &[
                    "title",
                    "body",
                    "assignee",
                    "state",
                    "state_reason",
                    "milestone",
                    "labels",
                    "assignees",
                    "type",
                ],
                &[],
            ),
            ("POST", ["issues", n, "comments"]) if n.parse::<u64>().is_ok() => {
                ("issues/create-comment", &[], &["body"], &["body"])
            }
            ("GET", ["issues", n, "comments"]) if n.parse::<u64>().is_ok() => (
                "issues/list-comments",
                &["since", "per_page", "page"],
                &[],
                &[],
            ),
            ("GET", ["labels"]) => (
                "issues/list-labels-for-repo",
                &["per_page", "page"],
                &[],
                &[],
            ),
            ("POST", ["labels"]) => (
                "issues/create-label",
                &[],
                &["name", "color", "description"],
                &["name"],
            ),
            _ => {
                return (
                    None,
                    vec![format!(
                        "{method} {path}: not an operation of the GitHub API the client should use"
                    )],
                )
            }
        };
    for (k, v) in query {
        if !query_ok.contains(&k.as_str()) {
            problems.push(format!("{method} {path}: unknown query parameter `{k}`"));
        }
        // GitHub's `type` is the issue type (bug, feature), not issues/pulls.
        if k == "type" && (v == "issues" || v == "pulls") {
            problems.push(format!("{method} {path}: GitHub has no type=issues filter"));
        }
    }
    if let Some(Value::Object(fields)) = body {
        for k in fields.keys() {
            if !body_ok.contains(&k.as_str()) {
                problems.push(format!("{method} {path}: unknown body field `{k}`"));
            }
        }
        for k in required {
            if !fields.contains_key(*k) {
                problems.push(format!("{method} {path}: body field `{k}` is required"));
            }
        }
        if let Some(labels) = fields.get("labels") {
            if !labels
                .as_array()
                .is_some_and(|l| l.iter().all(Value::is_string))
            {
                problems.push(format!(
                    "{method} {path}: GitHub takes label names, got {labels}"
                ));
            }
        }
        if let Some(color) = fields.get("color").and_then(Value::as_str) {
            if color.len() != 6 || !color.chars().all(|c| c.is_ascii_hexdigit()) {
                problems.push(format!(
                    "{method} {path}: GitHub wants a colour like `f29513`, got `{color}`"
                ));
            }
        }
    } else if !body_ok.is_empty() {
        problems.push(format!("{method} {path}: a JSON object body is required"));
    }
    (Some(operation), problems)
}

fn label_json(s: &State, id: u64, port: u16) -> Value {
    let name = &s.labels.iter().find(|(i, _)| *i == id).unwrap().1;
    json!({
        "id": id,
        "name": name,
        "color": "e11d21",
        "description": "",
        "exclusive": false,
        "is_archived": false,
        "url": format!("http://127.0.0.1:{port}/api/v1/repos/{OWNER}/{REPO}/labels/{id}"),
    })
}

fn issue_json(s: &State, i: &Issue, mode: Mode, port: u16) -> Value {
    let mut v = json!({
        "id": 1000 + i.number,
        "url": format!("http://127.0.0.1:{port}/api/v1/repos/{OWNER}/{REPO}/issues/{}", i.number),
        "html_url": format!("http://127.0.0.1:{port}/{OWNER}/{REPO}/issues/{}", i.number),
        "number": i.number,
        "user": { "id": 1, "login": i.author, "html_url": format!("http://127.0.0.1:{port}/{}", i.author) },
        "title": i.title,
        "body": i.body,
        "labels": i.labels.iter().map(|id| label_json(s, *id, port)).collect::<Vec<_>>(),
        "state": if i.open { "open" } else { "closed" },
        "is_locked": false,
        "comments": i.comments.len(),
        "created_at": i.created_at,
        "updated_at": i.closed_at.clone().unwrap_or_else(|| i.created_at.clone()),
        "closed_at": i.closed_at,
        "pull_request": if i.is_pull {
            json!({ "merged": false, "html_url": format!("http://127.0.0.1:{port}/{OWNER}/{REPO}/pulls/{}", i.number) })
        } else {
            Value::Null
        },
    });
    if mode == Mode::Github && !i.is_pull {
        // GitHub leaves the key out on issues.
        v.as_object_mut().unwrap().remove("pull_request");
    }
    v
}

fn page_params(mode: Mode, query: &[(String, String)]) -> (usize, usize) {
    let get = |k: &str| {
        query
            .iter()
            .find(|(n, _)| n == k)
            .and_then(|(_, v)| v.parse::<usize>().ok())
    };
    let (size_key, max) = match mode {
        Mode::Gitea => ("limit", 50),
        Mode::Github => ("per_page", 100),
    };
    let size = get(size_key).unwrap_or(30).clamp(1, max);
    let page = get("page").unwrap_or(1).max(1);
    (page, size)
}

fn paged(
    s: &State,
    mode: Mode,
    all: Vec<Value>,
    query: &[(String, String)],
    port: u16,
    path: &str,
) -> Answer {
    let (page, size) = page_params(mode, query);
    let size = s.paging.cap.map_or(size, |cap| size.min(cap));
    let page = if s.paging.ignore_page { 1 } else { page };
    let total = all.len();
    let items: Vec<Value> = all.into_iter().skip((page - 1) * size).take(size).collect();
    let mut a = answer(200, Value::Array(items));
    let last = total.div_ceil(size).max(1);
    let mut links = Vec::new();
    let size_key = if mode == Mode::Gitea {
        "limit"
    } else {
        "per_page"
    };
    if page < last {
        links.push(format!(
            "<http://127.0.0.1:{port}{path}?page={}&{size_key}={size}>; rel=\"next\"",
            page + 1
        ));
        links.push(format!(
            "<http://127.0.0.1:{port}{path}?page={last}&{size_key}={size}>; rel=\"last\""
        ));
    }
    if !links.is_empty() {
        a.headers.push(("Link".into(), links.join(",")));
    }
    if mode == Mode::Gitea && !s.paging.no_total {
        let total = s.paging.total.unwrap_or(total);
        a.headers.push(("X-Total-Count".into(), total.to_string()));
    }
    a
}

/// The labels named `name`: exactly in Gitea, in any case in GitHub.
fn same_label(mode: Mode, a: &str, b: &str) -> bool {
    match mode {
        Mode::Gitea => a == b,
        Mode::Github => a.to_lowercase() == b.to_lowercase(),
    }
}

fn comment_json(n: &str, id: usize, text: &str, author: &str, at: &str, port: u16) -> Value {
    json!({
        "id": id,
        "body": text,
        "created_at": at,
        "updated_at": at,
        "html_url": format!("http://127.0.0.1:{port}/{OWNER}/{REPO}/issues/{n}#issuecomment-{id}"),
        "issue_url": format!("http://127.0.0.1:{port}/{OWNER}/{REPO}/issues/{n}"),
        "pull_request_url": "",
        "user": { "id": 1, "login": author },
    })
}

fn route(
    s: &mut State,
    mode: Mode,
    method: &str,
    path: &str,
    query: &[(String, String)],
    body: Option<&Value>,
    port: u16,
) -> Answer {
    let rest = match mode {
        Mode::Gitea => match path.strip_prefix("/api/v1") {
            Some(rest) => rest,
            None => return error(404, "not found"),
        },
        Mode::Github => path,
    };
    if mode == Mode::Gitea && method == "GET" && rest == "/version" {
        return answer(200, json!({ "version": "1.27.1" }));
    }
    if method == "GET" && rest == "/user" {
        // The token belongs to the checker's account.
        return answer(
            200,
            json!({
                "id": 1,
                "login": BOT,
                "full_name": "",
                "email": "hb-bot@example.com",
                "html_url": format!("http://127.0.0.1:{port}/{BOT}"),
            }),
        );
    }
    let repo = format!("/repos/{OWNER}/{REPO}");
    let Some(rest) = rest.strip_prefix(&repo) else {
        return error(404, "The target couldn't be found.");
    };
    let segs: Vec<&str> = rest.split('/').skip(1).collect();
    let field = |k: &str| body.and_then(|b| b.get(k)).cloned().unwrap_or(Value::Null);
    let q = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    match (method, segs.as_slice()) {
        ("GET", ["labels"]) => {
            let all = s
                .labels
                .iter()
                .map(|(id, _)| label_json(s, *id, port))
                .collect();
            paged(s, mode, all, query, port, path)
        }
        ("POST", ["labels"]) => {
            let Some(name) = field("name").as_str().map(str::to_owned) else {
                return error(422, "[Name]: Required");
            };
            if mode == Mode::Github && s.labels.iter().any(|(_, l)| same_label(mode, l, &name)) {
                return answer(
                    422,
                    json!({
                        "message": "Validation Failed",
                        "errors": [{ "resource": "Label", "code": "already_exists", "field": "name" }],
                        "documentation_url": "https://docs.github.com/rest/issues/labels#create-a-label",
                    }),
                );
            }
            let id = add_label(s, &name);
            answer(201, label_json(s, id, port))
        }
        ("GET", ["issues"]) => {
            let state = q("state").unwrap_or_else(|| "open".into());
            let kind = q("type");
            // Unknown label names drop out of the filter, as in Gitea; with
            // none left, every issue matches. GitHub matches none.
            let wanted: Vec<u64> = q("labels")
                .map(|names| {
                    names
                        .split(',')
                        .filter_map(|n| {
                            s.labels
                                .iter()
                                .find(|(_, l)| same_label(mode, l, n.trim()))
                                .map(|(id, _)| *id)
                        })
                        .collect()
                })
                .unwrap_or_default();
            let unknown_github = mode == Mode::Github && q("labels").is_some() && wanted.is_empty();
            let mut all: Vec<&Issue> = s
                .issues
                .iter()
                .filter(|i| match state.as_str() {
                    "open" => i.open,
                    "closed" => !i.open,
                    _ => true,
                })
                .filter(|i| match kind.as_deref() {
                    Some("issues") if mode == Mode::Gitea => !i.is_pull,
                    Some("pulls") if mode == Mode::Gitea => i.is_pull,
                    _ => true,
                })
                .filter(|i| wanted.iter().all(|w| i.labels.contains(w)))
                .filter(|_| !unknown_github)
                .collect();
            all.sort_by_key(|i| std::cmp::Reverse(i.number));
            let all = all
                .into_iter()
                .map(|i| issue_json(s, i, mode, port))
                .collect();
            paged(s, mode, all, query, port, path)
        }
        ("POST", ["issues"]) => {
            let title = field("title").as_str().unwrap_or("").to_owned();
            if title.is_empty() {
                return error(422, "[Title]: Required");
            }
            let labels: Vec<u64> = match mode {
                Mode::Gitea => field("labels")
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_u64)
                    .collect(),
                Mode::Github => {
                    let names: Vec<String> = field("labels")
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect();
                    names
                        .iter()
                        .map(
                            |n| match s.labels.iter().find(|(_, l)| same_label(mode, l, n)) {
                                Some((id, _)) => *id,
                                None => add_label(s, n),
                            },
                        )
                        .collect()
                }
            };
            if let Some(bad) = labels
                .iter()
                .find(|id| !s.labels.iter().any(|(l, _)| l == *id))
            {
                return error(422, &format!("label {bad} does not exist"));
            }
            let now = tick(s);
            let number = s.issues.len() as u64 + 1;
            s.issues.push(Issue {
                number,
                title,
                body: field("body").as_str().unwrap_or("").to_owned(),
                labels,
                open: true,
                is_pull: false,
                created_at: now,
                closed_at: None,
                comments: Vec::new(),
                comment_authors: Vec::new(),
                author: BOT.to_owned(),
            });
            let issue = s.issues[number as usize - 1].clone();
            answer(201, issue_json(s, &issue, mode, port))
        }
        ("GET" | "PATCH", ["issues", n]) => {
            let Some(index) = n
                .parse::<usize>()
                .ok()
                .filter(|i| *i >= 1 && *i <= s.issues.len())
            else {
                return error(404, "issue does not exist");
            };
            if method == "PATCH" {
                let now = tick(s);
                let issue = &mut s.issues[index - 1];
                if let Some(title) = field("title").as_str() {
                    title.clone_into(&mut issue.title);
                }
                if let Some(text) = field("body").as_str() {
                    text.clone_into(&mut issue.body);
                }
                match field("state").as_str() {
                    Some("closed") if issue.open => {
                        issue.open = false;
                        issue.closed_at = Some(now);
                    }
                    Some("open") => {
                        issue.open = true;
                        issue.closed_at = None;
                    }
                    _ => {}
                }
            }
            let issue = s.issues[index - 1].clone();
            let status = match (method, mode) {
                ("PATCH", Mode::Gitea) => 201,
                _ => 200,
            };
            answer(status, issue_json(s, &issue, mode, port))
        }
        ("POST", ["issues", n, "comments"]) => {
            let Some(index) = n
                .parse::<usize>()
                .ok()
                .filter(|i| *i >= 1 && *i <= s.issues.len())
            else {
                return error(404, "issue does not exist");
            };
            let text = field("body").as_str().unwrap_or("").to_owned();
            let now = tick(s);
            s.issues[index - 1].comments.push(text.clone());
            s.issues[index - 1].comment_authors.push(BOT.to_owned());
            let id = 5000 + s.issues.iter().map(|i| i.comments.len()).sum::<usize>();
            answer(201, comment_json(n, id, &text, BOT, &now, port))
        }
        ("GET", ["issues", n, "comments"]) => {
            let Some(index) = n
                .parse::<usize>()
                .ok()
                .filter(|i| *i >= 1 && *i <= s.issues.len())
            else {
                return error(404, "issue does not exist");
            };
            let issue = &s.issues[index - 1];
            let all: Vec<Value> = issue
                .comments
                .iter()
                .enumerate()
                .map(|(i, text)| {
                    let author = issue.comment_authors.get(i).map_or(BOT, String::as_str);
                    comment_json(n, 5000 + i, text, author, &issue.created_at, port)
                })
                .collect();
            match mode {
                // Gitea answers with every comment; the operation has no
                // page parameters.
                Mode::Gitea => answer(200, Value::Array(all)),
                Mode::Github => paged(s, mode, all, query, port, path),
            }
        }
        _ => error(404, "not found"),
    }
}
