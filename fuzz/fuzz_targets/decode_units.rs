//! Fuzzes the NAL/packet path: arbitrary bytes split into access units and fed to the H.264
//! and H.265 decoders in Annex B framing, as an RTSP camera would send them. Nothing may panic,
//! whatever libavcodec reports.
//!
//! Run: `.ci/fuzz decode_units 60` (see TESTING.md); CI runs every target for 30 s.

#![no_main]

use dienbien_dispatch::video::{Codec, Decoder, DecoderConfig, EncodedUnit};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let codec = if selector & 1 == 0 {
        Codec::H264
    } else {
        Codec::H265
    };
    let Ok(mut decoder) = Decoder::new(&DecoderConfig::AnnexB(codec)) else {
        return;
    };
    let mut frames = Vec::new();
    // Units are separated by 0xFF 0xFE so the fuzzer can shape several pictures.
    for (i, chunk) in rest.split(|b| *b == 0xFE).enumerate() {
        let unit = EncodedUnit {
            data: chunk.to_vec(),
            pts_90k: i as i64 * 3000,
            dts_90k: None,
            keyframe: selector & 2 == 0 || i == 0,
        };
        let _ = decoder.decode(&unit, &mut frames);
        frames.clear();
    }
    let _ = decoder.finish(&mut frames);
});
