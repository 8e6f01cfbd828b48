//! Chat incoming webhooks: `slack+https://...` posts `{"text": ...}`, which
//! Slack, Mattermost and Rocket.Chat all accept, and `discord+https://...`
//! posts `{"content": ..., "allowed_mentions": {"parse": []}}`. Every
//! untrusted piece is a code span ([`crate::escape::chat`]): no mention,
//! link or formatting comes from a job's name or message.

use super::message::Message;
use super::post::Post;

/// Slack's limit on a message's `text`, Discord's on its `content`.
const SLACK_MAX: usize = 40_000;
const DISCORD_MAX: usize = 2000;

pub(super) fn slack<'a>(url: &'a str, message: &Message) -> Post<'a> {
    let body = serde_json::json!({ "text": message.chat(true, SLACK_MAX) });
    Post::json(url, &body)
}

pub(super) fn discord<'a>(url: &'a str, message: &Message) -> Post<'a> {
    let body = serde_json::json!({
        "content": message.chat(false, DISCORD_MAX),
        "allowed_mentions": { "parse": [] },
    });
    Post::json(url, &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::message::tests::sample;

    #[test]
    fn discord_mentions_no_one_and_keeps_to_its_limit() {
        let message = sample(&format!("@everyone {}", "z".repeat(5_000)));
        let post = discord("https://discord.example/api/webhooks/1/t", &message);
        assert_eq!(post.body.0, "application/json");
        let body: serde_json::Value = serde_json::from_slice(&post.body.1).unwrap();
        assert_eq!(body["allowed_mentions"]["parse"], serde_json::json!([]));
        let content = body["content"].as_str().unwrap();
        assert!(content.chars().count() <= DISCORD_MAX, "{}", content.len());
        assert!(content.contains("`\u{ff20}everyone"), "{content}");
        let slack = slack("https://hooks.example/x", &message);
        let body: serde_json::Value = serde_json::from_slice(&slack.body.1).unwrap();
        assert!(body["text"]
            .as_str()
            .unwrap()
            .starts_with("[`web1`] 1 job needs attention: `backup` stale"));
    }
}
