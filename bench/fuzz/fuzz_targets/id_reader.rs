#![no_main]
//! Any bytes as batch-get's id file: only valid ids come out, line numbers only go up.
use clerk_rl::face::check_id;
use clerk_rl::face::{Line, Lines};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut lines = Lines::new(data);
    let mut last = 0;
    while let Ok(Some((no, line))) = lines.next_line() {
        assert!(no > last);
        last = no;
        if let Line::Id(id) = line {
            assert!(check_id(&id).is_ok());
        }
    }
});
