//! Keeping a secret (the tracker's token) out of what a server sends back.
//! A server (or a proxy) may echo the request in an error message,
//! upper-cased, or broken over lines. Only text that came from the server
//! passes through here; the client's own messages never hold the secret
//! (they name URLs by [`super::shown`] alone), so they are never touched.

/// Tokens shorter than this are not searched for as substrings (a
/// one-letter token is in almost every word); a server message that could
/// hold one is withheld whole instead.
const SHORT: usize = 8;

/// What replaces an echo of the token.
const MASK: &str = "<redacted>";

/// What replaces a server message that may hold a short token.
const WITHHELD: &str = "(the server's message is withheld: it may repeat the token)";

/// Removes every echo of one token from server text.
#[derive(Clone)]
pub(crate) struct Redactor {
    /// The token's bytes, ASCII-lowercased (a header value is ASCII).
    needle: Vec<u8>,
}

impl Redactor {
    /// A redactor for `secret`.
    pub(crate) fn new(secret: &str) -> Redactor {
        Redactor {
            needle: secret
                .bytes()
                .filter(|b| !b.is_ascii_whitespace())
                .map(|b| b.to_ascii_lowercase())
                .collect(),
        }
    }

    /// `text` with each echo of the token, in any letter case and with any
    /// white space inside it, replaced by `<redacted>`; nothing else
    /// changes. For a short token, the whole text is withheld when the
    /// token could be in it, rather than cutting words apart.
    pub(crate) fn clean(&self, text: &str) -> String {
        if self.needle.is_empty() {
            return text.to_owned();
        }
        // The text without white space, lowercased, each byte with its
        // place in `text`.
        let squeezed: Vec<(usize, u8)> = text
            .bytes()
            .enumerate()
            .filter(|(_, b)| !b.is_ascii_whitespace())
            .map(|(i, b)| (i, b.to_ascii_lowercase()))
            .collect();
        let found = |from: usize| {
            (from..squeezed.len().saturating_sub(self.needle.len() - 1)).find(|&start| {
                squeezed[start..start + self.needle.len()]
                    .iter()
                    .map(|(_, b)| *b)
                    .eq(self.needle.iter().copied())
            })
        };
        if self.needle.len() < SHORT {
            return match found(0) {
                Some(_) => WITHHELD.to_owned(),
                None => text.to_owned(),
            };
        }
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        let mut from = 0;
        while let Some(start) = found(from) {
            let end = start + self.needle.len() - 1;
            let (first, last) = (squeezed[start].0, squeezed[end].0);
            // The token is ASCII, so its first and last bytes are whole
            // characters: slicing there keeps the text valid UTF-8.
            out.push_str(&text[copied..first]);
            out.push_str(MASK);
            copied = last + 1;
            from = end + 1;
        }
        out.push_str(&text[copied..]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redactor(token: &str) -> Redactor {
        Redactor::new(token)
    }

    #[test]
    fn echoes_in_any_case_or_split_are_masked_and_nothing_else() {
        let r = redactor("hbtok-Zq7XW3vKp9");
        assert_eq!(
            r.clean("bad credentials: Bearer hbtok-Zq7XW3vKp9"),
            "bad credentials: Bearer <redacted>"
        );
        assert_eq!(r.clean("HBTOK-ZQ7XW3VKP9 x"), "<redacted> x");
        assert_eq!(r.clean("a hbtok-Zq7\nXW3v Kp9 b"), "a <redacted> b");
        assert_eq!(
            r.clean("hbtok-zq7xw3vkp9hbtok-zq7xw3vkp9"),
            "<redacted><redacted>"
        );
        assert_eq!(
            r.clean("cannot connect: connection refused"),
            "cannot connect: connection refused"
        );
        assert_eq!(r.clean("é hbtok-Zq7XW3vKp9 ü"), "é <redacted> ü");
        assert_eq!(r.clean(""), "");
    }

    #[test]
    fn a_short_token_withholds_rather_than_mangles() {
        let r = redactor("t");
        assert_eq!(r.clean("bad credentials: T"), WITHHELD);
        assert_eq!(r.clean("no such repo"), "no such repo");
        let r = redactor("s3cr3t");
        assert_eq!(r.clean("echo: S3C\nR3T"), WITHHELD);
        assert_eq!(r.clean("cannot connect"), "cannot connect");
    }
}
