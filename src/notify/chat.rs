//! Chat incoming webhooks: `slack+https://...` posts `{"text": ...}`, which
//! Slack, Mattermost and Rocket.Chat all accept, and `discord+https://...`
//! posts `{"content": ..., "allowed_mentions": {"parse": []}}`. Every
//! untrusted piece is a code span ([`crate::escape::chat`]): no mention,
//! link or formatting comes from a job's name or message.

use super::message::Message;
use super::post::Post;

/// Slack's limit on a message's `text`.
const SLACK_MAX: usize = 40_000;

/// Discord's limit on a message's `content`.
const DISCORD_MAX: usize = 2000;

/// The incoming-webhook request of Slack, Mattermost and Rocket.Chat.
pub(super) fn slack<'a>(url: &'a str, message: &Message) -> Post<'a> {
    let body = serde_json::json!({ "text": message.chat(true, SLACK_MAX) });
    json(url, &body)
}

/// Discord's webhook request, which mentions no one.
pub(super) fn discord<'a>(url: &'a str, message: &Message) -> Post<'a> {
    let body = serde_json::json!({
        "content": message.chat(false, DISCORD_MAX),
        "allowed_mentions": { "parse": [] },
    });
    json(url, &body)
}

fn json<'a>(url: &'a str, body: &serde_json::Value) -> Post<'a> {
    let mut bytes = Vec::new();
    // A JSON value always serialises.
    crate::escape::write_json(&mut bytes, body).expect("JSON serialises");
    Post {
        url,
        headers: Vec::new(),
        body: ("application/json", bytes),
        redactor: None,
    }
}
