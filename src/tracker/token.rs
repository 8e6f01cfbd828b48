//! The tracker's (and ntfy's) token: a secret that never shows, from the
//! environment or a file only its owner may read.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::{fmt, io};

use crate::error::Error;
use crate::store::open::{open_regular, read_capped, Links, Refused};

pub(crate) const TOKEN_ENV: &str = "HB_TRACKER_TOKEN";

const TOKEN_FILE_MAX: u64 = 64 * 1024;

/// A secret API token: it has no `Display`, and its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Token(String);

impl Token {
    /// `text` trimmed (a file ends with a newline); `None` if blank. A space,
    /// line break or control character inside is refused: no header carries
    /// it, and the request would fail as if the server refused the token.
    fn parse(text: &str, what: &str, origin: &str) -> Result<Option<Token>, Error> {
        let text = text.trim();
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::rule(format!(
                "the {what} token in {origin} holds a space, a line break or a control character; a token is one word on one line"
            )));
        }
        Ok((!text.is_empty()).then(|| Token(text.to_owned())))
    }

    #[cfg(test)]
    pub(crate) fn new(text: &str) -> Option<Token> {
        Token::parse(text, "test", "test").unwrap()
    }

    /// The token in `var`, if not blank; `what` says whose it is in errors.
    pub(crate) fn from_env(var: &str, what: &'static str) -> Result<Option<Token>, Error> {
        Token::parse(&std::env::var(var).unwrap_or_default(), what, var)
    }

    /// The token in a file that group and others may not read.
    pub(crate) fn from_file(path: &Path, what: &'static str) -> Result<Token, Error> {
        let io_err = |source| Error::TokenFile {
            what,
            path: path.to_owned(),
            source,
        };
        // Opened without blocking: a FIFO or a device in its place must not
        // hang the run holding the lock. The user's path: links are followed.
        let (file, meta) = open_regular(path, Links::Follow).map_err(|r| io_err(r.into()))?;
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0 {
            let path = path.to_owned();
            return Err(Error::TokenFileMode { what, path, mode });
        }
        let bytes = read_capped(file, &meta, TOKEN_FILE_MAX).map_err(|r| match r {
            Refused::Io(e) => io_err(e),
            _ => io_err(io::Error::other(format!(
                "it is larger than the {TOKEN_FILE_MAX} bytes a token file may have"
            ))),
        })?;
        // std's own error for text that is not UTF-8.
        let text = io::read_to_string(&bytes[..]).map_err(io_err)?;
        let shown = crate::escape::terminal_path(path);
        Token::parse(&text, what, &shown)?
            .ok_or_else(|| Error::rule(format!("the {what} token file {shown} is empty")))
    }

    /// For the `Authorization` header and for redacting what servers send.
    pub(crate) fn secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::{self, Permissions};
    use std::path::PathBuf;
    use std::time::Duration;

    /// A token file of `bytes` at `name` in `dir`, readable by its owner only.
    fn owners(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = dir.join(name);
        fs::write(&path, bytes).unwrap();
        fs::set_permissions(&path, Permissions::from_mode(0o600)).unwrap();
        path
    }

    #[test]
    fn tokens_never_show() {
        let token = Token::new("  s3cr3t-value\n").unwrap();
        assert_eq!(token.secret(), "s3cr3t-value");
        assert!(!format!("{token:?}").contains("s3cr3t"));
        assert!(Token::new(" \n").is_none());
    }

    #[test]
    fn a_fifo_as_the_token_file_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("token");
        crate::store::open::mkfifo(&fifo);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(
                Token::from_file(&fifo, "tracker")
                    .map(|_| ())
                    .map_err(|e| e.to_string()),
            );
        });
        let got = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("reading a FIFO token file blocked");
        let err = got.expect_err("a FIFO is no token file");
        assert!(err.contains("not a regular file"), "{err}");
    }

    #[test]
    fn a_token_file_is_followed_through_a_link_checked_for_mode_and_capped() {
        let dir = tempfile::tempdir().unwrap();
        let real = owners(dir.path(), "real", "s3cr3t\n");
        let link = dir.path().join("token");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        // The mode that counts is the file's, not the link's (0777).
        assert_eq!(
            Token::from_file(&link, "tracker").unwrap().secret(),
            "s3cr3t"
        );
        fs::set_permissions(&real, Permissions::from_mode(0o644)).unwrap();
        let err = Token::from_file(&link, "tracker").unwrap_err();
        assert!(matches!(err, Error::TokenFileMode { mode, .. } if mode & 0o777 == 0o644));
        let big = owners(dir.path(), "big", vec![b'x'; TOKEN_FILE_MAX as usize + 1]);
        let err = Token::from_file(&big, "tracker").unwrap_err().to_string();
        assert!(err.contains("larger than the 65536 bytes"), "{err}");
        assert!(!err.contains("xxx"), "{err}");
    }

    #[test]
    fn a_token_file_that_is_not_utf8_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let path = owners(dir.path(), "token", b"tk_\xff");
        let err = Token::from_file(&path, "ntfy").unwrap_err().to_string();
        assert!(
            err.ends_with(": stream did not contain valid UTF-8"),
            "{err}"
        );
    }

    #[test]
    fn a_token_of_two_lines_or_words_is_refused_without_showing_it() {
        let dir = tempfile::tempdir().unwrap();
        for text in ["tk_A\ntk_B\n", "tk_A tk_B", "tk_A\u{7}"] {
            let path = owners(dir.path(), "token", text);
            let err = Token::from_file(&path, "ntfy").unwrap_err().to_string();
            assert!(err.contains("a token is one word on one line"), "{err}");
            assert!(!err.contains("tk_"), "{err}");
        }
    }
}
