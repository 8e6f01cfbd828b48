//! A dead man's switch on 127.0.0.1 that records every request it gets, for
//! the Healthchecks and Uptime Kuma pings: it answers 200, a chosen status,
//! or not at all.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
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
    /// Reads the request and never answers; the connection stays open until
    /// the client closes it, which [`PingServer::hang_ups`] counts.
    Hang,
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
    hang_ups: Arc<Mutex<usize>>,
}

impl PingServer {
    pub fn start(answer: Answer) -> PingServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let hang_ups = Arc::new(Mutex::new(0));
        let log = Arc::clone(&seen);
        let closed = Arc::clone(&hang_ups);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let log = Arc::clone(&log);
                let closed = Arc::clone(&closed);
                thread::spawn(move || {
                    let hung_up = serve(stream, answer, &log);
                    if hung_up {
                        *closed.lock().unwrap() += 1;
                    }
                });
            }
        });
        PingServer {
            port,
            seen,
            hang_ups,
        }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Every request so far, in the order they came.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// How many clients of [`Answer::Hang`] closed the connection while
    /// waiting for the answer that never came.
    pub fn hang_ups(&self) -> usize {
        *self.hang_ups.lock().unwrap()
    }
}

/// Serves one connection; true when, under [`Answer::Hang`], the client
/// closed it before any answer.
fn serve(stream: TcpStream, answer: Answer, log: &Mutex<Vec<Seen>>) -> bool {
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return false;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_owned();
        let target = parts.next().unwrap_or_default().to_owned();
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return false;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0u8; length.min(1 << 20)];
        if reader.read_exact(&mut body).is_err() {
            return false;
        }
        log.lock().unwrap().push(Seen {
            method,
            target,
            body: String::from_utf8_lossy(&body).into_owned(),
        });
        let status = match answer {
            Answer::Ok => 200,
            Answer::Status(code) => code,
            Answer::Hang => {
                // Wait, without answering, for the client to give up: the
                // end of its stream, however long that takes.
                let _ = stream.set_read_timeout(None);
                let mut rest = Vec::new();
                return reader.read_to_end(&mut rest).is_ok();
            }
        };
        let reply = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nOK"
        );
        if (&stream).write_all(reply.as_bytes()).is_err() {
            return false;
        }
    }
}
