//! Escaping of untrusted text (job names, messages, paths from heartbeat
//! files) for the medium it goes to.

use std::borrow::Cow;
use std::fmt::Write;

fn is_control(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Replaces control characters (C0, DEL, C1, line separators and
/// bidirectional overrides) with visible `\u{..}` escapes, so that no
/// terminal escape sequence or line break from a file reaches the output.
pub fn terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_control(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Escapes text for a GitHub-flavoured Markdown table cell or list item:
/// control characters as in [`terminal`], then every character that has a
/// meaning inside a line (emphasis, code, links, strike-through, `|`) behind a
/// backslash, and `<` and `&` as entities so no HTML gets through. Characters
/// that matter only at the start of a line (`#`, `-`, `+`, `1.`) are left
/// alone: escaped text never starts a line.
pub fn markdown(text: &str) -> String {
    let plain = terminal(text);
    let mut out = String::with_capacity(plain.len() + 8);
    for c in plain.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '>' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '&' => out.push_str("&amp;"),
            _ => out.push(c),
        }
    }
    out
}

/// Escapes text for HTML element content and quoted attribute values, after
/// replacing control characters as in [`terminal`].
pub fn html(text: &str) -> String {
    let plain = terminal(text);
    let mut out = String::with_capacity(plain.len() + 8);
    for c in plain.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_makes_escape_sequences_visible() {
        assert_eq!(terminal("plain"), "plain");
        assert_eq!(terminal("\x1b[31mred"), "\\u{1b}[31mred");
        assert_eq!(terminal("a\nb\rc\u{9b}d"), "a\\u{a}b\\u{d}c\\u{9b}d");
        assert_eq!(terminal("evil\u{202e}txt"), "evil\\u{202e}txt");
    }

    #[test]
    fn markdown_escapes_table_and_inline_syntax() {
        assert_eq!(markdown("a|b"), "a\\|b");
        assert_eq!(markdown("<script>"), "&lt;script\\>");
        assert_eq!(markdown("*bold* [x](y)"), "\\*bold\\* \\[x\\](y)");
        assert_eq!(markdown("db-dump 2026-11-22."), "db-dump 2026-11-22.");
        assert_eq!(markdown("\x1b[31m"), "\\\\u{1b}\\[31m");
    }

    #[test]
    fn html_escapes_markup() {
        assert_eq!(
            html("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(html("\x1b[31m"), "\\u{1b}[31m");
    }
}
