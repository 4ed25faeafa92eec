//! What a finished export was made with, kept out of the output's folder.
//!
//! A finished export leaves nothing beside FILE (no checkpoint), so a later `--resume` with
//! other filters or another key would call the file "already complete" although it holds
//! other users. The finished checkpoint is kept instead in the state folder
//! (`CLERK_RL_STATE_DIR`, …/clerk-rl/exports/), keyed by FILE's resolved path, with FILE's size
//! and inode so a file replaced since is not judged by another file's record.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::checkpoint::{Checkpoint, resolved};
use crate::pacing::state_file::state_dir;

#[derive(Debug, Serialize, Deserialize)]
struct Record {
    checkpoint: Checkpoint,
    len: u64,
    inode: u64,
}

fn record_path(output: &Path) -> Option<PathBuf> {
    let key = resolved(output);
    let hash = Sha256::digest(key.as_os_str().as_encoded_bytes());
    Some(
        state_dir()?
            .join("exports")
            .join(format!("{}.json", hex::encode(&hash[..12]))),
    )
}

/// (size, inode) of `output`; the inode is 0 where there is none.
fn identity(output: &Path) -> Option<(u64, u64)> {
    let m = fs::metadata(output).ok()?;
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&m);
    #[cfg(not(unix))]
    let inode = 0;
    Some((m.len(), inode))
}

/// Remember what the finished `output` was made with. Best effort: without a state folder a
/// later resume falls back to "already complete" unchecked, as before.
pub fn save(cp: &Checkpoint) {
    let (Some(path), Some((len, inode))) = (record_path(&cp.output), identity(&cp.output)) else {
        return;
    };
    let record = Record {
        checkpoint: cp.clone(),
        len,
        inode,
    };
    let write = || -> std::io::Result<()> {
        fs::create_dir_all(path.parent().unwrap_or(Path::new(".")))?;
        let tmp = path.with_extension("tmp");
        fs::write(&tmp, serde_json::to_vec(&record)?)?;
        fs::rename(&tmp, &path)
    };
    let _ = write();
}

/// The finished checkpoint of `output`, if one was recorded for this very file.
pub fn load(output: &Path) -> Option<Checkpoint> {
    let record: Record = serde_json::from_slice(&fs::read(record_path(output)?).ok()?).ok()?;
    (identity(output) == Some((record.len, record.inode))).then_some(record.checkpoint)
}
