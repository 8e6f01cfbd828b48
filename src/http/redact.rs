//! Keeping secrets out of output: a URL is shown by its scheme and host (the
//! rest holds a check's UUID, a token or a password); a token a server echoes
//! back is masked ([`Redactor`]); our own messages never hold it.

/// Its scheme and host (and port), else `a SCHEME URL`, else `the URL`.
pub(crate) fn shown(text: &str) -> String {
    let scheme_char = |c: char| c.is_ascii_alphanumeric() || "+-.".contains(c);
    let url = text.split_once("://");
    let Some((scheme, rest)) = url.filter(|(s, _)| !s.is_empty() && s.chars().all(scheme_char))
    else {
        return "the URL".to_owned();
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    // The user part ends at the last `@` of the authority.
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host_char = |b: u8| b.is_ascii_alphanumeric() || b".-:[]".contains(&b);
    let host_ok = !host.is_empty() && host.bytes().all(host_char);
    let scheme = scheme.to_ascii_lowercase();
    if host_ok {
        format!("{scheme}://{}", host.to_ascii_lowercase())
    } else {
        format!("a {scheme} URL")
    }
}

/// For messages that may quote what a user typed.
pub(crate) fn hide_urls(text: &str) -> String {
    // Compiled once: the adopt diff and each message call this per line.
    static URLS: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"[A-Za-z0-9+.-]+://[^\s'"`]*"#).expect("a valid pattern")
    });
    (URLS.replace_all(text, |url: &regex::Captures| shown(&url[0]))).into_owned()
}

/// The clap value parser of a secret: clap's own refusal would quote it
/// whole; this one says `parse`'s error and where it was given.
pub(crate) struct SecretParser<T, E> {
    /// `ping URL`, for the refusal of one not UTF-8.
    pub(crate) what: &'static str,
    pub(crate) parse: fn(&str) -> Result<T, E>,
}

// By hand: a derive would ask `T` and `E` to be `Clone` (`E` is generic:
// `http` sits below `error`).
impl<T, E> Clone for SecretParser<T, E> {
    fn clone(&self) -> Self {
        SecretParser { ..*self }
    }
}

impl<T, E> clap::builder::TypedValueParser for SecretParser<T, E>
where
    T: Clone + Send + Sync + 'static,
    E: std::fmt::Display + 'static,
{
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<T, clap::Error> {
        let why = match value.to_str().map(self.parse) {
            Some(Ok(value)) => return Ok(value),
            Some(Err(why)) => why.to_string(),
            None => format!("invalid {}: it is not UTF-8", self.what),
        };
        // A hidden flag is only the way in of its variable: named alone.
        let long = (arg.filter(|a| !a.is_hide_set())).and_then(clap::Arg::get_long);
        let env = arg.and_then(clap::Arg::get_env).and_then(|e| e.to_str());
        let flag = match (long, env) {
            (Some(long), Some(env)) => format!("`--{long}` or `{env}`"),
            (Some(long), None) => format!("`--{long}`"),
            (None, Some(env)) => env.to_owned(),
            (None, None) => format!("the {}", self.what),
        };
        let message = format!("{why} (given to {flag})\n");
        Err(clap::Error::raw(clap::error::ErrorKind::ValueValidation, message).with_cmd(cmd))
    }
}

/// Shorter tokens are in almost every word: a message that could hold one is withheld.
const SHORT: usize = 8;
const MASK: &str = "<redacted>";
const WITHHELD: &str = "(the server's message is withheld: it may repeat the token)";

#[derive(Clone)]
pub(crate) struct Redactor {
    /// The token's bytes without white space, ASCII-lowercased.
    needle: Vec<u8>,
}

impl Redactor {
    pub(crate) fn new(secret: &str) -> Redactor {
        let needle = squeeze(secret).map(|(_, b)| b).collect();
        Redactor { needle }
    }

    /// `text` with each echo of the token, in any case and with any white
    /// space inside, replaced by `<redacted>`.
    pub(crate) fn clean(&self, text: &str) -> String {
        if self.needle.is_empty() {
            return text.to_owned();
        }
        let squeezed: Vec<(usize, u8)> = squeeze(text).collect();
        let n = self.needle.len();
        let found = |from: usize| {
            let mut windows = squeezed.get(from..)?.windows(n);
            let at = windows.position(|w| w.iter().map(|(_, b)| b).eq(&self.needle))?;
            Some(from + at)
        };
        if n < SHORT {
            return if found(0).is_some() { WITHHELD } else { text }.to_owned();
        }
        let mut out = String::with_capacity(text.len());
        let (mut copied, mut from) = (0, 0);
        while let Some(start) = found(from) {
            let end = start + n - 1;
            let (first, last) = (squeezed[start].0, squeezed[end].0);
            // The token is ASCII: slicing at its first and last bytes keeps valid UTF-8.
            out.extend([&text[copied..first], MASK]);
            copied = last + 1;
            from = end + 1;
        }
        out.push_str(&text[copied..]);
        out
    }
}

/// `text`'s bytes without white space, ASCII-lowercased, each with its place.
fn squeeze(text: &str) -> impl Iterator<Item = (usize, u8)> + '_ {
    let bytes = text.bytes().enumerate();
    let kept = bytes.filter(|(_, b)| !b.is_ascii_whitespace());
    kept.map(|(i, b)| (i, b.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_by_scheme_and_host_only() {
        for (url, seen) in [
            (
                "https://ops:s3cret@HC.example/SECRET-UUID",
                "https://hc.example",
            ),
            (
                "http://127.0.0.1:8000/ping/abc?rid=1",
                "http://127.0.0.1:8000",
            ),
            ("https://a@b@hc.example#frag", "https://hc.example"),
            (
                "https://hc.example:99999999/S",
                "https://hc.example:99999999",
            ),
            ("https://bad host/x", "a https URL"),
            ("hc.example/SECRET", "the URL"),
            ("s3cret stuff://x", "the URL"),
        ] {
            assert_eq!(shown(url), seen, "{url}");
        }
    }

    #[test]
    fn urls_in_a_message_are_hidden_but_the_message_kept() {
        for (text, seen) in [
            (
                "unexpected argument 'https://ops:s3cret@hc.example/UUID' found",
                "unexpected argument 'https://hc.example' found",
            ),
            (
                "a http://h/x and é:https://u@h2:8/y?z end",
                "a http://h and é:https://h2:8 end",
            ),
            ("no url :// here", "no url :// here"),
            ("plain", "plain"),
        ] {
            assert_eq!(hide_urls(text), seen, "{text}");
        }
    }

    #[test]
    fn echoes_in_any_case_or_split_are_masked_and_nothing_else() {
        let r = Redactor::new("hbtok-Zq7XW3vKp9");
        for (text, seen) in [
            (
                "bad credentials: Bearer hbtok-Zq7XW3vKp9",
                "bad credentials: Bearer <redacted>",
            ),
            ("HBTOK-ZQ7XW3VKP9 x", "<redacted> x"),
            ("a hbtok-Zq7\nXW3v Kp9 b", "a <redacted> b"),
            ("hbtok-zq7xw3vkp9hbtok-zq7xw3vkp9", "<redacted><redacted>"),
            (
                "cannot connect: connection refused",
                "cannot connect: connection refused",
            ),
            ("é hbtok-Zq7XW3vKp9 ü", "é <redacted> ü"),
            ("", ""),
        ] {
            assert_eq!(r.clean(text), seen, "{text}");
        }
    }

    #[test]
    fn a_short_token_withholds_rather_than_mangles() {
        let r = Redactor::new("t");
        assert_eq!(r.clean("bad credentials: T"), WITHHELD);
        assert_eq!(r.clean("no such repo"), "no such repo");
        let r = Redactor::new("s3cr3t");
        assert_eq!(r.clean("echo: S3C\nR3T"), WITHHELD);
        assert_eq!(r.clean("cannot connect"), "cannot connect");
    }
}
