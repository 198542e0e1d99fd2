//! `detect IMAGE...`: boxes of vehicles, people and traffic lights in pictures.

use super::Setup;
use crate::cli::{DetectArgs, DetectCommand};
use crate::detect::detector::RgbPicture;
use crate::detect::search::SearchScale;
use crate::video::{Decoder, FileSource, YuvFrame};
use anyhow::Context as _;
use serde_json::json;
use std::path::Path;
use std::time::Instant;

pub fn run(args: &DetectArgs, setup: &Setup) -> anyhow::Result<()> {
    match &args.command {
        Some(DetectCommand::Eval(eval)) => return super::detect_eval::run(eval, setup),
        Some(DetectCommand::Train(train)) => return super::detect_train::run(train, setup),
        None => {}
    }
    let scale = SearchScale::parse(&args.scale)?;
    let detector = super::load_detector(setup, args.weights.as_deref())?;
    tracing::info!(device = detector.device_name(), "detector ready");
    for path in &args.images {
        let (rgb, width, height) = read_picture(path)
            .with_context(|| format!("cannot read picture {}", path.display()))?;
        let started = Instant::now();
        let picture = RgbPicture {
            rgb: &rgb,
            width,
            height,
        };
        let detections = detector.detect_scaled(picture, (0, 0, width, height), scale)?;
        let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        if args.json {
            let boxes: Vec<_> = detections.iter().map(|d| d.to_json()).collect();
            let line = json!({
                "image": path.display().to_string(),
                "width": width,
                "height": height,
                "detections": boxes,
                "latency_ms": (elapsed_ms * 10.0).round() / 10.0,
            });
            println!("{line}");
        } else {
            println!("{} ({width}×{height}, {elapsed_ms:.0} ms)", path.display());
            for d in &detections {
                println!(
                    "  {:<13} {:.3}  {:.0} {:.0} {:.0} {:.0}",
                    d.class.code(),
                    d.score,
                    d.bbox[0],
                    d.bbox[1],
                    d.bbox[2],
                    d.bbox[3]
                );
            }
        }
    }
    Ok(())
}

/// RGB bytes of a picture: JPEG through libavcodec (as camera snapshots are decoded), other
/// formats through the `image` crate.
pub(super) fn read_picture(path: &Path) -> anyhow::Result<(Vec<u8>, usize, usize)> {
    if let Ok(mut source) = FileSource::open(path) {
        let frames = decode_all(&mut source)?;
        if let Some(frame) = frames.first() {
            return Ok((frame.to_rgb(), frame.width as usize, frame.height as usize));
        }
    }
    let image = image::open(path)?.to_rgb8();
    let (w, h) = image.dimensions();
    Ok((image.into_raw(), w as usize, h as usize))
}

/// Every picture of an opened file, decoded by libavcodec.
pub(super) fn decode_all(source: &mut FileSource) -> anyhow::Result<Vec<YuvFrame>> {
    let mut decoder = Decoder::new(&source.decoder_config())?;
    let mut frames = Vec::new();
    while let Some(unit) = source.next_unit() {
        decoder.decode(&unit?, &mut frames)?;
    }
    decoder.finish(&mut frames)?;
    Ok(frames)
}
