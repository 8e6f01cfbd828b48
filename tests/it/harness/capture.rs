//! A recording HTTP/1.1 server on 127.0.0.1 for the notify destinations
//! (webhooks, ntfy, chat, and Apprise's requests): it keeps every request
//! whole (method, target, headers, body) and answers as it is told, which
//! may change between runs: a destination down, then back.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// How the server answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// `200 OK` with the body `ok`.
    Ok,
    /// This status, with a short body.
    Status(u16),
    /// Reads the request and never answers (closes after a minute).
    Hang,
    /// `200 OK` with a 10 MB body, written slowly in 64 KiB pieces, counting
    /// what the client took before it hung up.
    Huge,
    /// `200 OK` announcing 100 bytes of body, then one byte and silence
    /// (closes after a minute): the message was taken, the answer stalls.
    Trickle,
}

/// The size of [`Reply::Huge`]'s body.
pub const HUGE: u64 = 10 * 1000 * 1000;

/// One request as received.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub target: String,
    /// Every header line, the name lowercased, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// The value of the one header `name` (lowercase); panics when it came
    /// more than once.
    pub fn header(&self, name: &str) -> Option<&str> {
        let mut all = self.headers.iter().filter(|(n, _)| n == name);
        let first = all.next().map(|(_, v)| v.as_str());
        assert!(all.next().is_none(), "header {name} came twice: {self:?}");
        first
    }

    /// The body as JSON; panics when it is none.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// The body as UTF-8; panics when it is not.
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("a UTF-8 body")
    }
}

/// A running server; it stops with the test process.
pub struct Capture {
    port: u16,
    seen: Arc<Mutex<Vec<Request>>>,
    reply: Arc<Mutex<Reply>>,
    huge_written: Arc<AtomicU64>,
}

impl Capture {
    pub fn start(reply: Reply) -> Capture {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().unwrap().port();
        let capture = Capture {
            port,
            seen: Arc::default(),
            reply: Arc::new(Mutex::new(reply)),
            huge_written: Arc::default(),
        };
        let (seen, answer, written) = (
            Arc::clone(&capture.seen),
            Arc::clone(&capture.reply),
            Arc::clone(&capture.huge_written),
        );
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (seen, answer, written) =
                    (Arc::clone(&seen), Arc::clone(&answer), Arc::clone(&written));
                thread::spawn(move || serve(stream, &seen, &answer, &written));
            }
        });
        capture
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// `127.0.0.1:<port>`.
    pub fn authority(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Answers from now on with `reply`.
    pub fn set(&self, reply: Reply) {
        *self.reply.lock().unwrap() = reply;
    }

    /// Every request so far, in the order they came.
    pub fn seen(&self) -> Vec<Request> {
        self.seen.lock().unwrap().clone()
    }

    /// The requests whose target starts with `path`.
    pub fn to(&self, path: &str) -> Vec<Request> {
        self.seen()
            .into_iter()
            .filter(|r| r.target.starts_with(path))
            .collect()
    }

    /// The bytes of [`Reply::Huge`]'s body the socket took before the
    /// client hung up.
    pub fn huge_written(&self) -> u64 {
        self.huge_written.load(Ordering::SeqCst)
    }
}

/// Reads one HTTP/1.1 request (a body by `Content-Length`, at most 16
/// MiB); `None` when the connection closed or broke first.
pub fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let target = parts.next().unwrap_or_default().to_owned();
    let mut headers = Vec::new();
    loop {
        let mut header = Vec::new();
        if reader.read_until(b'\n', &mut header).unwrap_or(0) == 0 {
            return None;
        }
        let header = String::from_utf8_lossy(&header);
        let header = header.trim_end_matches(['\r', '\n']);
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':').expect("a header line has a colon");
        headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map_or(0, |(_, v)| v.parse().expect("a numeric Content-Length"));
    let mut body = vec![0u8; length.min(16 << 20)];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        target,
        headers,
        body,
    })
}

fn serve(stream: TcpStream, seen: &Mutex<Vec<Request>>, reply: &Mutex<Reply>, written: &AtomicU64) {
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    loop {
        let Some(request) = read_request(&mut reader) else {
            return;
        };
        seen.lock().unwrap().push(request);
        let answer = *reply.lock().unwrap();
        let mut out = &stream;
        match answer {
            Reply::Hang => {
                thread::sleep(Duration::from_secs(60));
                return;
            }
            Reply::Huge => {
                let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {HUGE}\r\n\r\n");
                if out.write_all(head.as_bytes()).is_err() {
                    return;
                }
                let piece = vec![b'x'; 64 * 1024];
                let mut sent = 0u64;
                while sent < HUGE {
                    let n = piece.len().min((HUGE - sent) as usize);
                    if out.write_all(&piece[..n]).is_err() {
                        break;
                    }
                    sent += n as u64;
                    written.store(sent, Ordering::SeqCst);
                    thread::sleep(Duration::from_millis(2));
                }
                return;
            }
            Reply::Trickle => {
                let head = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nx";
                if out.write_all(head.as_bytes()).is_ok() {
                    let _ = out.flush();
                    thread::sleep(Duration::from_secs(60));
                }
                return;
            }
            Reply::Ok | Reply::Status(_) => {
                let status = match answer {
                    Reply::Status(code) => code,
                    _ => 200,
                };
                let reply = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
                );
                if out.write_all(reply.as_bytes()).is_err() {
                    return;
                }
            }
        }
    }
}
