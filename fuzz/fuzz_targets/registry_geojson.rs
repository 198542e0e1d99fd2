//! Fuzzes the camera registry's GeoJSON import: any text gives a registry or its problems,
//! never a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(problems) = dienbien_dispatch::registry::parse_geojson(text) {
        for problem in problems {
            let _ = problem.to_string();
        }
    }
});
