//! Fuzzes the camera registry's CSV import: any text gives a registry or a list of problems
//! with their lines and fields, never a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(problems) = dienbien_dispatch::registry::parse_csv(text) {
        for problem in problems {
            let _ = problem.to_string();
        }
    }
});
