//! Snapshot tests: output compared with a file in `tests/snapshots/`, with a
//! line diff on mismatch. After a deliberate change of the output, rewrite
//! the files with `UPDATE_SNAPSHOTS=1 cargo test` and review the change with
//! `git diff tests/snapshots` before committing.

use std::fs;
use std::path::Path;

/// A line diff (longest common subsequence) of two texts: `-` for expected
/// lines, `+` for actual ones, two spaces for lines both have.
pub fn diff(expected: &str, actual: &str) -> String {
    let a: Vec<&str> = expected.lines().collect();
    let b: Vec<&str> = actual.lines().collect();
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out += &format!("  {}\n", a[i]);
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out += &format!("- {}\n", a[i]);
            i += 1;
        } else {
            out += &format!("+ {}\n", b[j]);
            j += 1;
        }
    }
    out
}

/// Asserts that `actual` equals two texts, showing a line diff if not.
#[track_caller]
pub fn assert_same(what: &str, expected: &str, actual: &str) {
    assert!(
        expected == actual,
        "{what} differs (- expected, + actual):\n{}",
        diff(expected, actual)
    );
}

/// Asserts that `actual` equals `tests/snapshots/<name>`; with
/// `UPDATE_SNAPSHOTS` set, writes it there instead.
#[track_caller]
pub fn assert_snapshot(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, actual).unwrap();
        return;
    }
    let expected = fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read snapshot {}: {e}; create it with UPDATE_SNAPSHOTS=1\n--- actual ---\n{actual}",
            path.display()
        )
    });
    assert_same(&format!("snapshot {}", path.display()), &expected, actual);
}
