//! Escaping of untrusted text (job names, messages, paths from heartbeat
//! files) for the medium it goes to.

use std::borrow::Cow;
use std::io;

use std::sync::LazyLock;

use regex::{Captures, Regex};
use serde::Serialize;

/// The characters of [`is_unsafe`], by the Unicode database regex carries.
static UNSAFE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]").expect("a valid pattern"));

/// Whether `c` must never reach an output raw: a control character, a line
/// or paragraph separator, or an invisible format character (Unicode
/// category Cf: bidirectional overrides such as U+202E, zero-width spaces,
/// the byte-order mark, tags). Such characters can rewrite a terminal,
/// break a line, or make one text look like another.
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || (!c.is_ascii() && UNSAFE.is_match(c.encode_utf8(&mut [0; 4])))
}

/// Every character of [`is_unsafe`] as a visible `\u{..}` escape.
pub(crate) fn terminal(text: &str) -> Cow<'_, str> {
    // Printable ASCII, the usual job name, holds nothing unsafe.
    if text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Cow::Borrowed(text);
    }
    UNSAFE.replace_all(text, |c: &Captures| c[0].escape_unicode().to_string())
}

const VALUE_SHOWN: usize = 80;

/// A value as a one-line error quotes it: [`terminal`]-safe, cut after
/// [`VALUE_SHOWN`] characters with its length (a 300 KB setting, a short line).
pub(crate) fn value(text: &str) -> String {
    let count = text.chars().count();
    if count <= VALUE_SHOWN {
        return terminal(text).into_owned();
    }
    let head: String = text.chars().take(VALUE_SHOWN).collect();
    format!("{}... ({count} characters)", terminal(&head))
}

pub(crate) fn terminal_path(path: &std::path::Path) -> String {
    terminal(&path.to_string_lossy()).into_owned()
}

/// serde_json's output with every [`is_unsafe`] character but its layout's
/// line feeds as `\uXXXX`: only strings hold them (serde_json escapes other
/// controls), so the document means the same; it writes whole `str` pieces.
struct Inert<W>(W);

impl<W: io::Write> io::Write for Inert<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = std::str::from_utf8(buf).map_err(io::Error::other)?;
        let mut from = 0;
        for found in UNSAFE.find_iter(text).filter(|m| m.as_str() != "\n") {
            self.0.write_all(&buf[from..found.start()])?;
            for unit in found.as_str().encode_utf16() {
                write!(self.0, "\\u{unit:04x}")?;
            }
            from = found.end();
        }
        self.0.write_all(&buf[from..])?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// `value` as pretty-printed JSON through [`Inert`], piece by piece.
pub(crate) fn write_json(out: impl io::Write, value: &impl Serialize) -> serde_json::Result<()> {
    serde_json::to_writer_pretty(Inert(out), value)
}

/// Escapes text for a GitHub-flavoured Markdown table cell or list item:
/// [`is_unsafe`] characters made visible, then what has a meaning inside a
/// line (emphasis, code, links, strike-through, `|`) behind a backslash,
/// and `<` and `&` as entities. What matters only at the start of a line
/// (`#`, `-`) is left alone: escaped text never starts a line.
pub fn markdown(text: &str) -> String {
    rewrite(text, |out, c| match c {
        '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '>' => out.extend(['\\', c]),
        '<' => out.push_str("&lt;"),
        '&' => out.push_str("&amp;"),
        _ => out.push(c),
    })
}

/// `text` made [`terminal`]-safe, then each character written by `put`.
pub(crate) fn rewrite(text: &str, put: impl Fn(&mut String, char)) -> String {
    let plain = terminal(text);
    let mut out = String::with_capacity(plain.len() + 8);
    plain.chars().for_each(|c| put(&mut out, c));
    out
}

/// Text inert in a chat message: one code span (no Markdown, link or mention
/// is read there), `` ` `` as `'` (it would end it), `@` as `＠` (no `@channel`
/// in any client), and with `entities` (Slack's rule, Mattermost's and
/// Rocket.Chat's too) `&<>` as entities, so no `<!here>` or `<URL|text>`.
pub(crate) fn chat(text: &str, entities: bool) -> String {
    let inert = rewrite(text, |out, c| match c {
        '`' => out.push('\''),
        '@' => out.push('\u{ff20}'),
        '&' if entities => out.push_str("&amp;"),
        '<' if entities => out.push_str("&lt;"),
        '>' if entities => out.push_str("&gt;"),
        _ => out.push(c),
    });
    format!("`{inert}`")
}

/// Escapes text for HTML content and quoted attribute values, after making
/// [`is_unsafe`] characters visible.
pub fn html(text: &str) -> String {
    rewrite(text, |out, c| match c {
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '&' => out.push_str("&amp;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&#39;"),
        _ => out.push(c),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_value_is_quoted_short_and_says_its_length() {
        for (text, want) in [("45", "45"), ("a\nb", "a\\u{a}b")] {
            assert_eq!(value(text), want);
        }
        let long = "9".repeat(300_000);
        let shown = value(&long);
        assert!(shown.ends_with("... (300000 characters)"), "{shown}");
        assert!(shown.len() < 120, "{shown}");
    }

    #[test]
    fn chat_text_is_one_code_span_without_mentions_or_links() {
        assert_eq!(chat("backup", true), "`backup`");
        assert_eq!(
            chat("@channel <!here> <https://x|y> a&b `rm`\n", true),
            "`\u{ff20}channel &lt;!here&gt; &lt;https://x|y&gt; a&amp;b 'rm'\\u{a}`"
        );
        assert_eq!(chat("<@123>", false), "`<\u{ff20}123>`");
    }

    #[test]
    fn unsafe_characters_cover_bidi_and_zero_width() {
        for c in [
            '\x1b',
            '\r',
            '\x7f',
            '\u{9b}',
            '\u{202e}',
            '\u{61c}',
            '\u{200b}',
            '\u{200d}',
            '\u{2066}',
            '\u{feff}',
            '\u{2028}',
            '\u{e0041}',
        ] {
            assert!(is_unsafe(c), "{:x}", u32::from(c));
            assert!(!terminal(&format!("a{c}b")).contains(c));
        }
        for c in ['a', 'é', '€', '日', ' ', '😀'] {
            assert!(!is_unsafe(c), "{c}");
        }
    }

    #[test]
    fn json_escapes_unsafe_characters_and_still_means_the_same() {
        let text = "e\x1bv\u{7f}i\u{85}l\u{202e}\u{200b}\u{e0041} ok é";
        let mut out = Vec::new();
        write_json(&mut out, &serde_json::json!({ "message": text })).unwrap();
        let doc = String::from_utf8(out).unwrap();
        assert!(!doc.chars().any(|c| is_unsafe(c) && c != '\n'), "{doc:?}");
        assert!(
            doc.contains("\\u202e") && doc.contains("\\udb40\\udc41"),
            "{doc}"
        );
        let back: serde_json::Value = serde_json::from_str(&doc).unwrap();
        assert_eq!(back["message"], text);
        assert!(doc.starts_with("{\n  \"message\""), "pretty: {doc}");
    }

    #[test]
    fn json_is_streamed_never_held_whole() {
        // hb-check --format json over 100,000 jobs writes tens of MB: the
        // document goes out piece by piece, never built as one string.
        struct Widest(usize, usize);
        impl io::Write for Widest {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                self.0 = self.0.max(buf.len());
                self.1 += buf.len();
                Ok(buf.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let jobs: Vec<String> = (0..2000).map(|i| format!("job-{i}")).collect();
        let mut out = Widest(0, 0);
        write_json(&mut out, &serde_json::json!({ "jobs": jobs })).unwrap();
        assert!(out.1 > 20_000, "{} bytes", out.1);
        assert!(out.0 < 1024, "one write of {} bytes", out.0);
    }

    #[test]
    fn each_medium_gets_its_escapes_after_the_terminal_ones() {
        let term = |text: &str| terminal(text).into_owned();
        for (escape, text, want) in [
            (term as fn(&str) -> String, "plain", "plain"),
            (term, "\x1b[31mred", "\\u{1b}[31mred"),
            (term, "a\nb\rc\u{9b}d", "a\\u{a}b\\u{d}c\\u{9b}d"),
            (term, "evil\u{202e}txt", "evil\\u{202e}txt"),
            (markdown, "a|b", "a\\|b"),
            (markdown, "<script>", "&lt;script\\>"),
            (markdown, "*bold* [x](y)", "\\*bold\\* \\[x\\](y)"),
            (markdown, "db-dump 2026-11-22.", "db-dump 2026-11-22."),
            (markdown, "\x1b[31m", "\\\\u{1b}\\[31m"),
            (
                html,
                "<script>alert('x')</script> & \"q\"",
                "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;",
            ),
            (html, "\x1b[31m", "\\u{1b}[31m"),
        ] {
            assert_eq!(escape(text), want, "{text:?}");
        }
    }
}
