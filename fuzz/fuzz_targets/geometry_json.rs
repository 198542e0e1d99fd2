//! Fuzzes the junction geometry JSON (files beside the console, the editor's saves, the
//! database): any text is a validated geometry or an error, never a panic; a geometry that
//! loads builds its rules.

#![no_main]

use dienbien_dispatch::domain::geometry::JunctionGeometry;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(geometry) = JunctionGeometry::from_json(text) {
        let _ = dienbien_dispatch::rules::RuleSet::new(&geometry, Default::default());
        let _ = serde_json::to_string(&geometry);
    }
});
