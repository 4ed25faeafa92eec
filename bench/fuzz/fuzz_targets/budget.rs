#![no_main]
//! Any text as --rate or a duration flag: parsed into something sane, or refused.
use clerk_rl::face::{Rate, parse_duration};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(r) = s.parse::<Rate>() {
            assert!(r.limit >= 1 && !r.window.is_zero());
        }
        if let Ok(d) = parse_duration(s) {
            assert!(!d.is_zero());
        }
    }
});
