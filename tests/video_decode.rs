//! Decoding the real sample clips (H.264 Baseline, High with B-frames, H.265) from
//! `resources/samples/`, and surviving corrupted files without a panic.

mod support;

use dienbien_dispatch::video::{Decoder, FileSource, YuvFrame};
use std::path::Path;
use support::media;

struct Decoded {
    frames: Vec<YuvFrame>,
    stats: dienbien_dispatch::video::DecoderStats,
    read_errors: usize,
}

fn decode_all(path: &Path) -> Decoded {
    let mut source = FileSource::open(path).unwrap();
    let mut decoder = Decoder::new(&source.decoder_config()).unwrap();
    let mut frames = Vec::new();
    let mut read_errors = 0;
    while let Some(unit) = source.next_unit() {
        match unit {
            Ok(unit) => {
                // Errors are counted by the decoder and it recovers at the next keyframe.
                let _ = decoder.decode(&unit, &mut frames);
            }
            Err(_) => read_errors += 1,
        }
    }
    let _ = decoder.finish(&mut frames);
    Decoded {
        frames,
        stats: decoder.stats(),
        read_errors,
    }
}

#[test]
fn every_sample_clip_decodes_completely() {
    for (name, codec, frames, (w, h)) in [
        ("vtest-h264-baseline.mp4", "H.264", 400, (768, 576)),
        ("vtest-h264-high.mp4", "H.264", 600, (768, 576)),
        ("vtest-h265.mp4", "H.265", 200, (768, 576)),
        ("car-detection.mp4", "H.264", 377, (768, 432)),
    ] {
        let path = media(name);
        let source = FileSource::open(&path).unwrap();
        assert_eq!(source.codec().name(), codec, "{name}");
        assert_eq!(source.dimensions(), (w, h), "{name}");
        let decoded = decode_all(&path);
        assert_eq!(decoded.frames.len(), frames, "{name}: {:?}", decoded.stats);
        assert_eq!(decoded.stats.errors, 0, "{name}");
        assert_eq!(decoded.read_errors, 0, "{name}");
        assert_eq!(decoded.stats.units_skipped, 0, "{name}");
        for frame in &decoded.frames {
            assert_eq!((frame.width, frame.height), (w, h), "{name}");
            assert_eq!(frame.y.len(), (w * h) as usize);
            assert_eq!(frame.u.len(), (w / 2 * h / 2) as usize);
        }
        // Presentation order even with B-frames: timestamps strictly increase.
        assert!(
            decoded
                .frames
                .windows(2)
                .all(|p| p[0].pts_90k < p[1].pts_90k),
            "{name}: frames out of order"
        );
    }
}

#[test]
fn the_three_encodings_show_the_same_pictures() {
    let baseline = decode_all(&media("vtest-h264-baseline.mp4")).frames;
    let high = decode_all(&media("vtest-h264-high.mp4")).frames;
    let hevc = decode_all(&media("vtest-h265.mp4")).frames;
    // The clips are the same scene cut to 40 s (baseline), 60 s (high) and 20 s (H.265).
    for index in [0, 100, 150, 199] {
        let reference = baseline[index].mean_luma();
        for (name, frames) in [("high", &high), ("h265", &hevc)] {
            let luma = frames[index].mean_luma();
            assert!(
                (luma - reference).abs() < 2.0,
                "frame {index}: {name} mean luma {luma:.2} vs baseline {reference:.2}"
            );
        }
    }
    // Consecutive frames of a moving scene differ; the same index is the same picture.
    assert_ne!(baseline[100].y, baseline[399].y);
}

/// A small deterministic pseudo-random generator for corrupting files the same way each run.
fn lcg(seed: &mut u64) -> u64 {
    *seed = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    *seed >> 33
}

#[test]
fn corrupted_files_decode_what_they_can_without_panicking() {
    let dir = tempfile::tempdir().unwrap();
    for (name, total) in [("vtest-h264-high.mp4", 600), ("vtest-h265.mp4", 200)] {
        let bytes = std::fs::read(media(name)).unwrap();
        // The files' index (moov) is at the start: a truncated file still opens.
        let enough = total / 8;

        // Truncated: the moov box of these files is at the start, the tail of mdat is lost.
        let truncated = dir.path().join(format!("truncated-{name}"));
        std::fs::write(&truncated, &bytes[..bytes.len() * 6 / 10]).unwrap();
        FileSource::open(&truncated).expect("a truncated file with its index at the start opens");
        let decoded = decode_all(&truncated);
        assert!(
            decoded.frames.len() < total,
            "{name}: truncated file gave every frame"
        );
        assert!(
            decoded.frames.len() > enough,
            "{name}: {} frames",
            decoded.frames.len()
        );

        // Bytes flipped in the middle of the media data.
        let mut flipped = bytes.clone();
        let mut seed = 27;
        for _ in 0..200 {
            let at = bytes.len() / 10 + (lcg(&mut seed) as usize % (bytes.len() * 8 / 10));
            flipped[at] ^= 0xff;
        }
        let path = dir.path().join(format!("flipped-{name}"));
        std::fs::write(&path, &flipped).unwrap();
        let decoded = decode_all(&path);
        assert!(
            decoded.frames.len() > enough,
            "{name}: only {} frames survived",
            decoded.frames.len()
        );
    }

    // Not a video at all.
    let junk = dir.path().join("junk.mp4");
    std::fs::write(&junk, b"definitely not an mp4 file").unwrap();
    let err = FileSource::open(&junk).err().expect("junk is refused");
    assert!(err.to_string().starts_with("cannot open"), "{err}");
}

/// The NAL/packet path with hostile input: random bytes, and real units with bytes flipped,
/// cut short or padded, fed to H.264 and H.265 decoders in both framings. Nothing may panic,
/// and after the garbage a real stream still decodes (the decoder resynchronises at a keyframe).
#[test]
fn hostile_units_never_panic_and_the_decoder_recovers() {
    use dienbien_dispatch::video::{Codec, DecoderConfig, EncodedUnit};
    let mut seed = 2026;
    for clip in ["vtest-h264-high.mp4", "vtest-h265.mp4"] {
        let mut source = FileSource::open(&media(clip)).unwrap();
        let units: Vec<EncodedUnit> = std::iter::from_fn(|| source.next_unit())
            .take(60)
            .map(Result::unwrap)
            .collect();
        let codec = source.codec();
        for config in [source.decoder_config(), DecoderConfig::AnnexB(codec)] {
            let mut decoder = Decoder::new(&config).unwrap();
            let mut frames = Vec::new();
            for round in 0..400 {
                let base = &units[round % units.len()];
                let mut data = base.data.clone();
                match round % 4 {
                    0 => {
                        let len = (lcg(&mut seed) % 4096) as usize;
                        data = (0..len).map(|_| lcg(&mut seed) as u8).collect();
                    }
                    1 => {
                        for _ in 0..8 {
                            if !data.is_empty() {
                                let at = lcg(&mut seed) as usize % data.len();
                                data[at] ^= 1 << (lcg(&mut seed) % 8);
                            }
                        }
                    }
                    2 => data.truncate(lcg(&mut seed) as usize % (data.len() + 1)),
                    _ => data.extend((0..64).map(|_| lcg(&mut seed) as u8)),
                }
                let unit = EncodedUnit {
                    data,
                    pts_90k: round as i64 * 9000,
                    dts_90k: None,
                    keyframe: lcg(&mut seed).is_multiple_of(2),
                };
                let _ = decoder.decode(&unit, &mut frames);
            }
            // A clean stream afterwards decodes again in the container framing.
            if matches!(config, DecoderConfig::Container(..)) {
                frames.clear();
                for unit in &units {
                    let _ = decoder.decode(unit, &mut frames);
                }
                let _ = decoder.finish(&mut frames);
                assert!(
                    frames.len() > 40,
                    "{clip}: only {} frames after garbage",
                    frames.len()
                );
            }
            assert!(matches!(codec, Codec::H264 | Codec::H265));
        }
    }
}
