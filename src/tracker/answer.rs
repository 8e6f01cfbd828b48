//! Reading what a server answers: the error message it carries and the
//! count of a listing. The body is read by the HTTP client (`src/http`),
//! within its limit and deadline, which also reads what the headers say
//! about waiting.

use serde::Deserialize;

use crate::http::HeaderMap;

/// The total count a Gitea listing announces in `X-Total-Count`.
pub(crate) fn total_count(headers: &HeaderMap) -> Option<usize> {
    headers
        .get("x-total-count")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// The error document both APIs answer with; GitHub adds `errors`, which
/// says what a 422 refused.
#[derive(Deserialize)]
struct ApiError {
    message: Option<String>,
    #[serde(default)]
    errors: Vec<serde_json::Value>,
}

/// The message of an error answer: the JSON `message` with GitHub's
/// `errors` details (`Validation Failed (Issue title: too long)`), else the
/// text itself unless it is HTML, else `fallback`.
pub(crate) fn error_message(body: &[u8], fallback: &str) -> String {
    if let Some(message) = serde_json::from_slice::<ApiError>(body)
        .ok()
        .and_then(ApiError::describe)
    {
        return message;
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() || text.starts_with('<') {
        fallback.to_owned()
    } else {
        text.to_owned()
    }
}

impl ApiError {
    fn describe(self) -> Option<String> {
        let detail = |e: &serde_json::Value| match e {
            serde_json::Value::String(text) => Some(text.clone()),
            serde_json::Value::Object(fields) => {
                let field = |k| fields.get(k).and_then(|v| v.as_str());
                let what: Vec<&str> = [field("resource"), field("field")]
                    .into_iter()
                    .flatten()
                    .collect();
                let why = field("message").or(field("code"))?;
                Some(if what.is_empty() {
                    why.to_owned()
                } else {
                    format!("{}: {why}", what.join(" "))
                })
            }
            _ => None,
        };
        let details: Vec<String> = self.errors.iter().filter_map(detail).collect();
        let message = self.message.filter(|m| !m.trim().is_empty());
        if details.is_empty() {
            return message;
        }
        let details = details.join("; ");
        Some(message.map_or(details.clone(), |m| format!("{m} ({details})")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_messages_say_what_was_refused() {
        let m = |text: &str| error_message(text.as_bytes(), "Bad Gateway");
        assert_eq!(
            m(
                r#"{"message":"Validation Failed","errors":[{"resource":"Label","code":"already_exists","field":"name"},{"resource":"Issue","field":"title","code":"custom","message":"title is too long"}]}"#
            ),
            "Validation Failed (Label name: already_exists; Issue title: title is too long)"
        );
        assert_eq!(
            m(r#"{"message":"Validation Failed","errors":["labels is invalid"]}"#),
            "Validation Failed (labels is invalid)"
        );
        assert_eq!(
            m(r#"{"message":"[Title]: Required","url":"x"}"#),
            "[Title]: Required"
        );
        assert_eq!(m("<html>proxy</html>"), "Bad Gateway");
        assert_eq!(m("upstream down\n"), "upstream down");
    }
}
