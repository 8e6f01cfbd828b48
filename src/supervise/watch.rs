//! What the wrapper looks for in a command's output as it passes ([`Seen`]).
//! Bounded: each stream keeps one partial line of at most [`LINE_WINDOW`]
//! bytes. A longer line is matched in windows of that size, each starting
//! with the last [`OVERLAP`] bytes of the one before, so output without
//! newlines costs no more memory than a short line and a match shorter
//! than `OVERLAP` is found wherever it falls. A window is searched as a
//! span of the bytes it holds: its own edges are not the line's, so `^`,
//! `$` and `\b` see them as the middle of the line, and a match that
//! touches an edge is left to the window that holds it with room around.

use regex_automata::{meta::Regex, Input};

/// The most bytes of one line a pattern is matched against at a time.
const LINE_WINDOW: usize = 4096;

/// The bytes a full window hands on to the next.
const OVERLAP: usize = 1024;

/// The most bytes of a matching line kept to name it in the reason.
const SHOWN_MAX: usize = 200;

/// The patterns to look for, and what was found so far.
#[derive(Debug, Default)]
pub(crate) struct Watch {
    fail_on: Option<Regex>,
    ok_on: Option<Regex>,
    /// The partial line of stdout (0) and stderr (1).
    partial: [Vec<u8>; 2],
    /// Whether the partial line is a window after the first of its line.
    continued: [bool; 2],
    /// A `--fail-on` match in a window of a line not yet ended: it takes
    /// its number when the line ends, as lines are counted.
    pending: [Option<String>; 2],
    lines: u64,
    seen: Seen,
}

/// What the watch found in the output: the number and text of the first line
/// `--fail-on` matched, whether `--ok-on` matched any, the first stderr line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Seen {
    pub failed_at: Option<(u64, String)>,
    pub ok_matched: bool,
    pub stderr_line: Option<String>,
}

impl Watch {
    pub(crate) fn new(fail_on: Option<Regex>, ok_on: Option<Regex>) -> Watch {
        Watch {
            fail_on,
            ok_on,
            ..Watch::default()
        }
    }

    pub(crate) fn push(&mut self, stream: usize, mut bytes: &[u8]) {
        let stream = stream.min(1);
        while !bytes.is_empty() {
            let room = LINE_WINDOW - self.partial[stream].len();
            let chunk = &bytes[..bytes.len().min(room)];
            let newline = chunk.iter().position(|b| *b == b'\n');
            let take = newline.unwrap_or(chunk.len());
            self.partial[stream].extend_from_slice(&chunk[..take]);
            bytes = &bytes[take + usize::from(newline.is_some())..];
            if newline.is_some() {
                self.end_line(stream);
            } else if self.partial[stream].len() == LINE_WINDOW {
                self.look(stream, false);
                self.partial[stream].drain(..LINE_WINDOW - OVERLAP);
                self.continued[stream] = true;
            }
        }
    }

    /// What was found, the last lines without a newline included.
    pub(crate) fn finish(mut self) -> Seen {
        for stream in 0..2 {
            if !self.partial[stream].is_empty() {
                self.end_line(stream);
            }
        }
        self.seen
    }

    fn end_line(&mut self, stream: usize) {
        self.look(stream, true);
        self.lines += 1;
        if let Some(text) = self.pending[stream].take() {
            self.seen.failed_at.get_or_insert((self.lines, text));
        }
        // The buffer is reused: its capacity stays at most the window.
        self.partial[stream].clear();
        self.continued[stream] = false;
    }

    /// Matches the line, or its window held (`ends`: the last one).
    fn look(&mut self, stream: usize, ends: bool) {
        let (line, continued) = (&self.partial[stream], self.continued[stream]);
        if stream == 1 && self.seen.stderr_line.is_none() {
            self.seen.stderr_line = Some(shown(line));
        }
        let span = usize::from(continued)..if ends { line.len() } else { line.len() - 1 };
        let input = || Input::new(line).range(span.clone());
        // Searched only until the first match: later lines cost nothing.
        let looking = self.seen.failed_at.is_none() && self.pending[stream].is_none();
        let found = (self.fail_on.as_ref().filter(|_| looking)).and_then(|r| r.find(input()));
        if let Some(m) = found {
            // A window shows from the match: its start is no line's.
            let from = if continued || !ends { m.start() } else { 0 };
            self.pending[stream] = Some(shown(&line[from..]));
        }
        let ok = self.seen.ok_matched || self.ok_on.as_ref().is_some_and(|r| r.is_match(input()));
        self.seen.ok_matched = ok;
    }
}

/// At most [`SHOWN_MAX`] bytes, without a carriage return.
fn shown(line: &[u8]) -> String {
    let text = String::from_utf8_lossy(&line[..line.len().min(SHOWN_MAX)]);
    let text = text.trim_end_matches('\r');
    text.trim_end_matches('\u{fffd}').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn re(text: &str) -> Regex {
        Regex::new(text).unwrap()
    }

    /// The number of the line `--fail-on` matched.
    fn matched(seen: &Seen) -> Option<u64> {
        seen.failed_at.as_ref().map(|(n, _)| *n)
    }

    #[test]
    fn the_first_matching_line_is_named_by_its_number() {
        let mut watch = Watch::new(Some(re("ERROR")), Some(re("^done$")));
        watch.push(0, b"one\ntw");
        watch.push(1, b"warn\n");
        watch.push(0, b"o ERROR here\nERROR again\ndone");
        let seen = watch.finish();
        assert_eq!(seen.failed_at, Some((3, "two ERROR here".to_owned())));
        assert!(seen.ok_matched);
        assert_eq!(seen.stderr_line.as_deref(), Some("warn"));
    }

    #[test]
    fn a_line_without_end_is_matched_in_bounded_pieces() {
        let mut watch = Watch::new(Some(re("needle")), None);
        for _ in 0..1000 {
            watch.push(0, &[b'x'; 1000]);
        }
        assert!(watch.partial[0].capacity() <= LINE_WINDOW * 2);
        watch.push(0, b"needle\nnext");
        let seen = watch.finish();
        assert_eq!(matched(&seen), Some(1), "one line, however long");
        assert_eq!(seen.stderr_line, None);
    }

    #[test]
    fn the_edges_of_a_window_are_not_the_lines() {
        // Every place a window of a long line starts or ends.
        let cuts = [
            LINE_WINDOW - OVERLAP,
            LINE_WINDOW,
            2 * (LINE_WINDOW - OVERLAP),
        ];
        for at in cuts {
            let mut line = vec![b'x'; at];
            line.extend_from_slice(b"OK");
            let mut watch = Watch::new(Some(re("^OK|OK$")), Some(re("^OK|xOK$")));
            watch.push(0, &line);
            watch.push(0, &[b'y'; 5000]);
            watch.push(0, b"\n");
            let seen = watch.finish();
            assert_eq!(
                seen.failed_at, None,
                "OK at byte {at} neither starts nor ends the line"
            );
            assert!(!seen.ok_matched, "OK at byte {at}");
        }
        let mut watch = Watch::new(Some(re("ERROR$")), Some(re(r"\bdone$")));
        watch.push(0, &[b'x'; 3 * LINE_WINDOW]);
        watch.push(0, b" done ERROR\n");
        let seen = watch.finish();
        assert_eq!(
            seen.failed_at,
            Some((1, "ERROR".to_owned())),
            "shown from the match"
        );
        assert!(!seen.ok_matched);
    }

    #[test]
    fn a_long_line_is_numbered_when_it_ends() {
        let mut watch = Watch::new(Some(re("ERROR")), None);
        watch.push(0, b"ERROR");
        watch.push(0, &[b'x'; 3 * LINE_WINDOW]);
        watch.push(1, b"e1\ne2\n");
        watch.push(0, b"\n");
        let seen = watch.finish();
        assert_eq!(matched(&seen), Some(3), "after the lines that ended first");
    }

    #[test]
    fn a_match_across_the_cut_of_a_long_line_is_found() {
        for at in [
            LINE_WINDOW - 3,
            LINE_WINDOW * 2 - OVERLAP - 3,
            10 * LINE_WINDOW,
        ] {
            let mut watch = Watch::new(Some(re("ERROR")), None);
            let mut line = vec![b'x'; at];
            line.extend_from_slice(b"ERROR");
            line.extend_from_slice(&[b'y'; 5000]);
            for piece in line.chunks(777) {
                watch.push(1, piece);
            }
            assert_eq!(matched(&watch.finish()), Some(1), "ERROR at byte {at}");
        }
    }
}
