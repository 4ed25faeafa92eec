#![no_main]
//! Any bytes as an export checkpoint: loaded or refused with a reason.
use clerk_rl::face::Checkpoint;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!("clerk-rl-fuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let p = dir.join("checkpoint");
    if std::fs::write(&p, data).is_ok()
        && let Err(e) = Checkpoint::load(&p)
    {
        assert!(!e.to_string().is_empty());
    }
});
