//! Fuzzes the signal controller feed's line: any bytes are a change whose MAC holds, or a
//! refusal, never a panic; a fixed-time plan read from the same bytes answers at any time.

#![no_main]

use dienbien_dispatch::signals::SignalSource;
use dienbien_dispatch::signals::line_auth::{FeedKey, authenticate, signed_line};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Some(key) = FeedKey::from_hex(&"5a".repeat(32)) else {
        return;
    };
    if let Ok(change) = authenticate(text, &key) {
        // What was taken signs back to a line that is taken again.
        assert_eq!(authenticate(&signed_line(&change, &key), &key), Ok(change));
    }
    if let Ok(plan) = dienbien_dispatch::signals::FixedTimePlan::from_json(text) {
        for t_ms in [i64::MIN, -1, 0, 1_796_000_000_000, i64::MAX] {
            for group in plan.groups.keys() {
                let _ = plan.state_at(group, t_ms);
            }
        }
    }
});
