#![no_main]
//! Any error body: one bounded, printable line.
use clerk_rl::face::ClerkError;
use libfuzzer_sys::fuzz_target;
use reqwest::header::HeaderMap;

fuzz_target!(|data: &[u8]| {
    let e = ClerkError::parse(422, &HeaderMap::new(), data);
    let line = e.to_string();
    assert!(!line.contains('\n'));
    assert!(!line.chars().any(|c| c.is_control()));
});
