#![no_main]
//! Any body as a users page: a list of users whose lines are one-line JSON, or a refusal.
use clerk_rl::face::parse_page;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(users) = parse_page(data) {
        for u in users {
            assert_eq!(u.line.iter().filter(|b| **b == b'\n').count(), 1);
            assert!(serde_json::from_slice::<serde_json::Value>(&u.line).is_ok());
        }
    }
});
