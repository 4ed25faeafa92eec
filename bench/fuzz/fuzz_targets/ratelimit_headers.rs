#![no_main]
//! Any bytes as any of the rate-limit headers: no panic, every wait bounded.
use std::time::{Duration, UNIX_EPOCH};

use clerk_rl::face::RateLimitView;
use clerk_rl::face::RATE_LIMIT_HEADERS as NAMES;
use libfuzzer_sys::fuzz_target;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

fuzz_target!(|data: &[u8]| {
    let mut h = HeaderMap::new();
    for (i, part) in data.split(|b| *b == 0).enumerate() {
        if let Ok(v) = HeaderValue::from_bytes(part) {
            h.append(HeaderName::from_static(NAMES[i % NAMES.len()]), v);
        }
    }
    let v = RateLimitView::from_headers(&h, UNIX_EPOCH + Duration::from_secs(1_700_000_000));
    for d in [v.reset, v.window, v.retry_after].into_iter().flatten() {
        assert!(d <= Duration::from_secs(366 * 86_400));
    }
});
