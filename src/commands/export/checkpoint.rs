//! The checkpoint of a resumable export: what is durably written, and where each part goes on.
//!
//! It is replaced atomically (write a temporary file, fsync, rename, fsync the folder) and only
//! ever names bytes that were fsynced before it, so a kill at any instant leaves a checkpoint
//! that a resume can trust: truncate to the recorded lengths, go on from the recorded cursors.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::part::{Paging, PartState};
use crate::error::{Exit, fail};
pub use crate::output::{sibling, sync_dir};

/// Version 2 added `order` (parts split off at the end of an export); a binary that wrote 1
/// would ignore it and write such parts out of order, so it must refuse a 2.
pub const VERSION: u32 = 2;
/// The oldest version read: a 1 is a 2 whose parts go in index order.
const OLDEST_READ: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub version: u32,
    /// A hash of the secret key: the instance this export reads (never the key).
    pub instance: String,
    pub filters: Vec<(String, String)>,
    pub page_size: u32,
    pub paging: Paging,
    /// The file being written, and the finished file it becomes.
    pub partial: PathBuf,
    pub output: PathBuf,
    /// Durable length of `partial`.
    pub bytes: u64,
    pub users: u64,
    /// Parts before position `head` of `order` are wholly in `partial`; the one at `head`
    /// streams into it; later ones spill.
    pub head: usize,
    /// Indexed by part: a part's index names its spill file and its pages.
    pub parts: Vec<PartCheckpoint>,
    /// The order parts are written in, as indexes into `parts`: a part split off at the end of
    /// an export is written right after the part it came from. Empty in version 1: index order.
    #[serde(default)]
    pub order: Vec<usize>,
    /// Set just before the final rename: a resume only has to finish the rename.
    pub complete: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartCheckpoint {
    pub state: PartState,
    /// Durable length of this part's spill file (parts after `head` only).
    pub spill_bytes: u64,
}

impl Checkpoint {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = fs::read(path).map_err(|e| {
            fail(
                Exit::Usage,
                format!("cannot read the checkpoint {}: {e}", path.display()),
            )
        })?;
        let cp: Checkpoint = serde_json::from_slice(&text).map_err(|e| {
            fail(
                Exit::Usage,
                format!(
                    "{} is not a clerk-rl export checkpoint ({e}); remove it and start over with --force",
                    path.display()
                ),
            )
        })?;
        let mut cp = cp;
        if cp.order.is_empty() {
            cp.order = (0..cp.parts.len()).collect();
        }
        cp.check_shape(path)?;
        // Saved again from here on with its order: a version 1 binary must not take it.
        cp.version = VERSION;
        Ok(cp)
    }

    /// The part at position `pos` of the write order.
    pub fn at(&self, pos: usize) -> Option<usize> {
        self.order.get(pos).copied()
    }

    /// Refuse a checkpoint whose numbers cannot be right, before touching any file.
    fn check_shape(&self, path: &Path) -> anyhow::Result<()> {
        let bad = |why: &str| {
            Err(fail(
                Exit::Usage,
                format!("the checkpoint {} is damaged: {why}", path.display()),
            ))
        };
        if !(OLDEST_READ..=VERSION).contains(&self.version) {
            return bad(&format!(
                "version {} (this clerk-rl reads {OLDEST_READ} to {VERSION})",
                self.version
            ));
        }
        if self.parts.is_empty() {
            return bad("it lists no parts");
        }
        if self.head > self.parts.len() {
            return bad("its head part is past the last part");
        }
        if !(1..=500).contains(&self.page_size) {
            return bad("its page size is outside 1..500");
        }
        let mut sorted = self.order.clone();
        sorted.sort_unstable();
        if !sorted.iter().copied().eq(0..self.parts.len()) {
            return bad("its order does not list each part once");
        }
        for (i, p) in self.parts.iter().enumerate() {
            if let (Some(lo), Some(hi)) = (p.state.lo, p.state.hi)
                && lo >= hi
            {
                return bad(&format!("part {i} has an empty range"));
            }
        }
        for &i in &self.order[..self.head] {
            if !self.parts[i].state.done {
                return bad(&format!("part {i} is before the head but not done"));
            }
        }
        Ok(())
    }

    /// Refuse to resume an export of another instance or with other filters.
    pub fn check_matches(
        &self,
        instance: &str,
        filters: &[(String, String)],
        page_size: u32,
        output: &Path,
    ) -> anyhow::Result<()> {
        if self.instance != instance {
            return Err(fail(
                Exit::Usage,
                "the checkpoint was made with another secret key (another instance); resuming would mix two instances' users. Use the same key, or start over with --force",
            ));
        }
        if self.filters != filters {
            return Err(fail(
                Exit::Usage,
                format!(
                    "the checkpoint was made with other filters ({}); resume with the same --filter flags, or start over with --force",
                    show_filters(&self.filters)
                ),
            ));
        }
        if self.page_size != page_size {
            return Err(fail(
                Exit::Usage,
                format!(
                    "the checkpoint was made with --page-size {}; resume with the same page size",
                    self.page_size
                ),
            ));
        }
        // `./u.jsonl` and `u.jsonl` are one file: compared resolved, not as spelt.
        if !same_path(&self.output, output) {
            return Err(fail(
                Exit::Usage,
                format!(
                    "the checkpoint belongs to the export into {}",
                    self.output.display()
                ),
            ));
        }
        Ok(())
    }

    /// Replace the checkpoint atomically and durably.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let tmp = sibling(path, ".tmp");
        {
            // Serialised in memory and written once: `to_writer` on the bare file made one
            // write(2) per JSON token, a few thousand per save with many parts.
            let mut text = serde_json::to_vec(self)?;
            text.push(b'\n');
            let mut f = File::create(&tmp)?;
            f.write_all(&text)?;
            f.sync_all()?;
        }
        fs::rename(&tmp, path)?;
        sync_dir(path)
    }
}

fn show_filters(f: &[(String, String)]) -> String {
    if f.is_empty() {
        return "none".into();
    }
    f.iter()
        .map(|(k, v)| format!("--filter {k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `path` made absolute with its folder's symlinks and `.`/`..` resolved, for comparing paths
/// the user may spell differently. The file itself need not exist (a checkpoint not yet made).
pub fn resolved(path: &Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    match (abs.parent(), abs.file_name()) {
        (Some(dir), Some(name)) => fs::canonicalize(dir)
            .map(|d| d.join(name))
            .unwrap_or(abs.clone()),
        _ => abs,
    }
}

/// Whether two spellings name the same file.
pub fn same_path(a: &Path, b: &Path) -> bool {
    a == b || resolved(a) == resolved(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Checkpoint {
        Checkpoint {
            version: VERSION,
            instance: "abc".into(),
            filters: vec![("banned".into(), "false".into())],
            page_size: 500,
            paging: Paging::Cursor,
            partial: "u.jsonl.partial".into(),
            output: "u.jsonl".into(),
            bytes: 10,
            users: 1,
            head: 0,
            parts: vec![PartCheckpoint {
                state: PartState::default(),
                spill_bytes: 0,
            }],
            order: vec![0],
            complete: false,
        }
    }

    #[test]
    fn roundtrips_through_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c");
        let cp = sample();
        cp.save(&p).unwrap();
        assert_eq!(Checkpoint::load(&p).unwrap(), cp);
        assert!(!sibling(&p, ".tmp").exists());
    }

    #[test]
    fn a_version_1_checkpoint_is_read_in_index_order_and_saved_as_2() {
        // Version 1 had no `order`: its parts go in index order, and once saved again by this
        // binary it is a 2, which a version 1 binary refuses instead of misordering splits.
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c");
        let mut cp = sample();
        cp.version = 1;
        cp.parts.push(cp.parts[0].clone());
        let mut v = serde_json::to_value(&cp).unwrap();
        v.as_object_mut().unwrap().remove("order");
        fs::write(&p, serde_json::to_vec(&v).unwrap()).unwrap();
        let loaded = Checkpoint::load(&p).unwrap();
        assert_eq!(loaded.order, vec![0, 1]);
        assert_eq!(loaded.version, VERSION);
        // An order that does not list each part once, or a version from the future: refused.
        for (order, version) in [(vec![0, 0], VERSION), (vec![1], VERSION), (vec![1, 0], 3)] {
            let mut bad = loaded.clone();
            bad.order = order;
            bad.version = version;
            bad.save(&p).unwrap();
            assert!(Checkpoint::load(&p).is_err(), "{bad:?}");
        }
        // A part before the head, by the order, must be done.
        let mut bad = loaded.clone();
        bad.order = vec![1, 0];
        bad.head = 1;
        bad.parts[0].state.done = true;
        bad.save(&p).unwrap();
        let err = Checkpoint::load(&p).unwrap_err().to_string();
        assert!(err.contains("part 1 is before the head"), "{err}");
    }

    #[test]
    fn refuses_garbage_damage_and_mismatches() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c");
        fs::write(&p, b"{not json").unwrap();
        assert!(
            Checkpoint::load(&p)
                .unwrap_err()
                .to_string()
                .contains("not a clerk-rl export checkpoint")
        );
        let mut cp = sample();
        cp.head = 5;
        cp.save(&p).unwrap();
        assert!(
            Checkpoint::load(&p)
                .unwrap_err()
                .to_string()
                .contains("damaged")
        );
        let cp = sample();
        let out = Path::new("u.jsonl");
        assert!(
            cp.check_matches("abc", &cp.filters.clone(), 500, out)
                .is_ok()
        );
        let e = cp
            .check_matches("other", &cp.filters.clone(), 500, out)
            .unwrap_err();
        assert!(e.to_string().contains("another secret key"));
        assert!(
            cp.check_matches("abc", &cp.filters.clone(), 500, Path::new("./u.jsonl"))
                .is_ok(),
            "./u.jsonl is u.jsonl"
        );
        let e = cp.check_matches("abc", &[], 500, out).unwrap_err();
        assert!(e.to_string().contains("--filter banned=false"), "{e}");
        let e = cp
            .check_matches("abc", &cp.filters.clone(), 100, out)
            .unwrap_err();
        assert!(e.to_string().contains("--page-size 500"));
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// A checkpoint file with any content is loaded or refused with a reason; never a panic.
        #[test]
        fn any_checkpoint_bytes_load_or_refuse(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
            let dir = tempfile::tempdir().unwrap();
            let p = dir.path().join("c");
            std::fs::write(&p, &bytes).unwrap();
            if let Err(e) = Checkpoint::load(&p) {
                prop_assert!(!e.to_string().is_empty());
            }
        }

        /// Damaged numbers in a well-formed checkpoint are refused, not trusted.
        #[test]
        fn damaged_numbers_are_refused(head in 0usize..10, parts in 0usize..4, page in 0u32..1000) {
            let dir = tempfile::tempdir().unwrap();
            let p = dir.path().join("c");
            let mut cp = tests_sample();
            cp.head = head;
            cp.page_size = page;
            cp.parts = (0..parts).map(|_| PartCheckpoint { state: PartState::default(), spill_bytes: 0 }).collect();
            cp.save(&p).unwrap();
            let ok = head <= parts && parts > 0 && (1..=500).contains(&page) && head == 0;
            prop_assert_eq!(Checkpoint::load(&p).is_ok(), ok);
        }
    }

    fn tests_sample() -> Checkpoint {
        Checkpoint {
            version: VERSION,
            instance: "abc".into(),
            filters: vec![],
            page_size: 500,
            paging: Paging::Cursor,
            partial: "u.partial".into(),
            output: "u".into(),
            bytes: 0,
            users: 0,
            head: 0,
            parts: vec![],
            order: vec![],
            complete: false,
        }
    }
}
