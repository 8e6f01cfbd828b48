//! A dead man's switch on 127.0.0.1 that records every request it gets, for
//! the Healthchecks and Uptime Kuma pings: it answers 200, a chosen status,
//! busy for a while, or not at all (to every request, or to some).

use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// How the server answers.
#[derive(Debug, Clone, Copy)]
pub enum Answer {
    /// `200 OK`, as both services answer a good ping.
    Ok,
    /// This status code.
    Status(u16),
    /// Reads the request and never answers (closes after a minute).
    Hang,
    /// Hangs as [`Answer::Hang`] on a request whose target holds this
    /// text, answers `200 OK` to any other: a server slow on one path.
    HangOn(&'static str),
    /// `503 Service Unavailable` with `Retry-After: 1` to the first this
    /// many requests, `200 OK` after: a server briefly overloaded, saying
    /// so.
    Busy(u32),
}

/// One request as received.
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path and query, as sent.
    pub target: String,
    /// The body (empty for none).
    pub body: String,
}

/// A running server; it stops with the test process.
pub struct PingServer {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl PingServer {
    pub fn start(answer: Answer) -> PingServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        let busy = Arc::new(AtomicU32::new(0));
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let log = Arc::clone(&log);
                let busy = Arc::clone(&busy);
                thread::spawn(move || serve(stream, answer, &log, &busy));
            }
        });
        PingServer { port, seen }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Every request so far, in the order they came.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn serve(stream: TcpStream, answer: Answer, log: &Mutex<Vec<Seen>>, busy: &AtomicU32) {
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    loop {
        let Some(request) = super::capture::read_request(&mut reader) else {
            return;
        };
        let super::capture::Request {
            method,
            target,
            body,
            ..
        } = request;
        let hang = match answer {
            Answer::Hang => true,
            Answer::HangOn(part) => target.contains(part),
            _ => false,
        };
        log.lock().unwrap().push(Seen {
            method,
            target,
            body: String::from_utf8_lossy(&body).into_owned(),
        });
        if hang {
            thread::sleep(Duration::from_secs(60));
            return;
        }
        let (status, extra) = match answer {
            Answer::Status(code) => (code, ""),
            Answer::Busy(times) if busy.fetch_add(1, Ordering::SeqCst) < times => {
                (503, "Retry-After: 1\r\n")
            }
            _ => (200, ""),
        };
        let reply = format!(
            "HTTP/1.1 {status} X\r\n{extra}Content-Type: text/plain\r\nContent-Length: 2\r\n\r\nOK"
        );
        if (&stream).write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}
