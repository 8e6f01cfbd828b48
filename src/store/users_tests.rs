//! The users' areas, tested.

use super::*;
use crate::pause::Pause;
use crate::record::{json_line, Content, Heartbeat, RunStatus};
use std::cell::RefCell;
use std::fs;

type Swap = Box<dyn Fn(&Path)>;

thread_local! {
    /// Run between the judgement of an area and its listing: where a
    /// user would swap the area for a link.
    pub(super) static SWAP: RefCell<Option<Swap>> = const { RefCell::new(None) };
}

fn scan_areas(dir: &Path) -> Vec<Entry> {
    let mut entries = Vec::new();
    super::scan_areas(dir, &mut |entry| entries.push(entry));
    entries
}

/// This user's area in a new heartbeat directory, holding `n` empty files
/// `job00000.<ext>`, `job00001.<ext>`...; `None` for a user without a name.
fn area_with(n: usize, ext: &str) -> Option<(String, tempfile::TempDir, PathBuf)> {
    let me = user_name(effective_uid())?;
    let root = tempfile::tempdir().unwrap();
    let area = root.path().join(USERS_DIR).join(&me);
    fs::create_dir_all(&area).unwrap();
    for i in 0..n {
        fs::write(area.join(format!("job{i:05}.{ext}")), "").unwrap();
    }
    Some((me, root, area))
}

fn jobs(entries: &[Entry]) -> Vec<(String, String)> {
    entries
        .iter()
        .map(|e| (e.job.clone(), e.content.clone().err().unwrap_or_default()))
        .collect()
}

#[test]
fn an_area_swapped_for_a_link_after_it_was_judged_is_read_as_judged() {
    let Some((me, root, area)) = area_with(0, "last") else {
        return;
    };
    let mine = Heartbeat::new("mine", 60, RunStatus::Ok).to_json_line();
    fs::write(area.join("mine.last"), mine).unwrap();
    let secret = root.path().join("secret");
    fs::create_dir(&secret).unwrap();
    fs::write(secret.join("leak.last"), "secret message").unwrap();
    SWAP.with(|swap| {
        *swap.borrow_mut() = Some(Box::new(|area: &Path| {
            let parked = area.with_file_name(".parked");
            fs::rename(area, parked).unwrap();
            std::os::unix::fs::symlink(area.with_file_name("../secret"), area).unwrap();
        }));
    });
    let entries = scan_areas(root.path());
    SWAP.with(|swap| swap.borrow_mut().take());
    assert_eq!(
        jobs(&entries),
        [(user_job(Some(&me), "mine"), String::new())]
    );
    assert!(matches!(&entries[0].content, Ok(Content::Record(r)) if r.job == "mine"));
}

#[test]
fn an_area_past_the_cap_is_cut_to_the_first_names_and_one_row() {
    let Some((me, root, area)) = area_with(AREA_ENTRIES_MAX + 5, "last") else {
        return;
    };
    fs::write(area.join("job00000.history"), "").unwrap();
    let entries = scan_areas(root.path());
    assert_eq!(entries.len(), AREA_ENTRIES_MAX + 1);
    assert_eq!(entries[0].job, user_job(Some(&me), "job00000"));
    assert_eq!(
        entries[AREA_ENTRIES_MAX - 1].job,
        user_job(Some(&me), &format!("job{:05}", AREA_ENTRIES_MAX - 1))
    );
    let last = entries.last().unwrap();
    assert_eq!(last.job, format!("{me}/"));
    let reason = last.content.clone().unwrap_err();
    assert!(
        reason.starts_with("1005 heartbeat files, more than the 1000 read from one place"),
        "{reason}"
    );
    assert!(reason.contains("5 are not"), "{reason}");
}

#[test]
fn the_pauses_of_an_area_are_read_by_handle_and_capped() {
    let Some((_, root, area)) = area_with(AREA_ENTRIES_MAX + 2, "pause") else {
        return;
    };
    // Each pause is read for the job its file names, which it must name too.
    let now = chrono::Utc::now();
    let host = Pause::new(None, now, 60, None).unwrap();
    let job = Pause::new(Some("job00000"), now, 60, None).unwrap();
    fs::write(area.join("_host.pause"), json_line(&host)).unwrap();
    fs::write(area.join("job00000.pause"), json_line(&job)).unwrap();
    fs::write(area.join("job00000.last"), "").unwrap();
    let found = area_pauses(root.path());
    assert_eq!(found.len(), AREA_ENTRIES_MAX + 1);
    assert_eq!(found[0].path, area.join("_host.pause"));
    assert_eq!(found[0].content, Ok(host));
    assert_eq!(found[1].content, Ok(job));
    let last = found.last().unwrap();
    assert_eq!(last.path, area);
    let reason = last.content.clone().unwrap_err();
    assert!(
        reason.starts_with("1003 pause files, more than the 1000"),
        "{reason}"
    );
}

#[test]
fn root_has_a_name() {
    assert_eq!(user_name(0).as_deref(), Some("root"));
    // A uid no system hands out has none.
    assert_eq!(user_name(4_000_000_000), None);
}

#[test]
fn an_area_must_be_a_directory_of_its_user() {
    let dir = tempfile::tempdir().unwrap();
    let meta = fs::symlink_metadata(dir.path()).unwrap();
    assert_eq!(area_fault(&meta, meta.uid(), "me"), None);
    let fault = area_fault(&meta, meta.uid() + 1, "bob").unwrap();
    assert!(fault.contains("not to bob"), "{fault}");
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(dir.path(), &link).unwrap();
    let meta = fs::symlink_metadata(&link).unwrap();
    assert!(area_fault(&meta, meta.uid(), "me")
        .unwrap()
        .contains("symlink"));
}
