//! One POST to an HTTP destination, sent once ([`Http::send_once`]), each
//! attempt bounded by what is left of the run's budget, the answer read up
//! to a cap, no redirect followed.

use std::time::Duration;

use super::refused;
use crate::error::Error;
use crate::http::redact::Redactor;
use crate::http::retry::Budget;
use crate::http::{self, Http, Kind, Method, NotTaken, Request};

/// The longest one attempt may take; the most read of an answer (a
/// destination says "ok" in a few bytes); the most characters quoted of
/// an answer or a command's output.
const ATTEMPT_MAX: Duration = Duration::from_secs(10);
const ANSWER_MAX: u64 = 64 * 1024;
const QUOTED_MAX: usize = 200;

/// A POST of `body` as JSON to `url`.
pub(super) fn json(url: &str, body: &impl serde::Serialize) -> Request {
    let body = ("application/json", super::message::json(body));
    Request {
        url: url.to_owned(),
        body: Some(body),
        ..Request::default()
    }
}

/// `: LINE`, the first line of `bytes` as a message may quote it (no URL,
/// no secret `redactor` masks, at most 200 characters); empty when there
/// is none.
pub(super) fn quoted(bytes: &[u8], redactor: Option<&Redactor>) -> String {
    let first = http::hide_urls(&crate::process::first_line(bytes));
    let first = redactor.map_or_else(|| first.clone(), |r| r.clean(&first));
    match crate::report::content::cut(&first, QUOTED_MAX) {
        first if first.is_empty() => first,
        first => format!(": {first}"),
    }
}

/// POSTs `request` within `budget`. `Ok` says what the server answered to
/// a message it took (any 2xx); `Err` why it was not taken. Neither holds
/// the URL's path, the secret `redactor` masks, or a raw control character.
pub(super) fn send(
    http: &Http,
    request: Request,
    redactor: Option<&Redactor>,
    budget: &Budget,
) -> Result<String, Error> {
    let request = Request {
        method: Method::POST,
        limit: Some(ANSWER_MAX),
        error_limit: Some(ANSWER_MAX),
        ..request
    };
    let quote = |bytes: &[u8]| quoted(bytes, redactor);
    let reason = match http.send_once(&request, budget, attempt_deadline) {
        Ok(answer) => {
            let answered = format!("the server answered {}", answer.status);
            return Ok(answered + &quote(&answer.body));
        }
        Err(NotTaken::NoTime) => {
            let total = budget.total().as_secs();
            format!("no time was left of the {total}s budget")
        }
        Err(NotTaken::Refused(answer)) => {
            let status = answer.status;
            let redirect = (status.is_redirection()).then_some(" (redirects are not followed)");
            let said = redirect.unwrap_or_default().to_owned() + &quote(&answer.body);
            format!("the server answered {status}{said}")
        }
        // Only a successful answer is read to its end: the server took the
        // message and said more than anyone needs.
        Err(NotTaken::Failed(e)) if e.kind == Kind::TooLong => {
            let took = "the server took it; its answer, longer than";
            return Ok(format!("{took} {} KiB, was not read", ANSWER_MAX / 1024));
        }
        // A success whose body stalled or broke off: the message was taken,
        // and sending it again would say it twice.
        Err(NotTaken::Failed(e)) if e.answered.is_some() => {
            let how = if e.kind == Kind::Slow {
                "did not arrive whole"
            } else {
                "broke off"
            };
            let status = e.answered.unwrap_or_default();
            let took = format!("the server took it (status {status}); its answer {how}");
            return Ok(took);
        }
        Err(NotTaken::Failed(e)) => return Err(refused(e.message.clone(), Some(Box::new(e)))),
    };
    Err(refused(reason, None))
}

/// An attempt's deadline: what is left, at most [`ATTEMPT_MAX`], in tenths
/// of a second, as the messages say it.
fn attempt_deadline(left: Duration) -> Duration {
    let tenths = left.min(ATTEMPT_MAX).as_millis() / 100;
    Duration::from_millis(tenths as u64 * 100)
}
