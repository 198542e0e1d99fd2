//! A camera's recordings between two moments copied into one MP4 without re-encoding (from
//! the keyframe before the start), on one timeline: for trainers' exercises, where the file is
//! played into the live pipeline as a simulated camera.

use super::{RecordError, SegmentWriter};
use crate::store::RecordingRow;
use crate::video::{DecoderConfig, EncodedUnit, FileSource};
use std::path::Path;

/// Writes `camera`'s pictures of `[from_ms, to_ms]` to `out`; returns how many.
pub fn export_span(
    segments: &[RecordingRow],
    camera: &str,
    from_ms: i64,
    to_ms: i64,
    out: &Path,
) -> Result<u64, RecordError> {
    let fail = |path: &str, message: String| RecordError::Write {
        path: path.into(),
        message,
    };
    let mut own: Vec<&RecordingRow> = segments
        .iter()
        .filter(|s| s.camera_code == camera && !matches!(s.state.as_str(), "lost" | "deleted"))
        .filter(|s| s.started_ms <= to_ms && s.ended_ms.is_none_or(|e| e >= from_ms))
        .collect();
    own.sort_by_key(|s| s.started_ms);
    let mut writer: Option<SegmentWriter> = None;
    let mut written = 0u64;
    for segment in own {
        let mut source = FileSource::open(Path::new(&segment.path))
            .map_err(|e| fail(&segment.path, e.to_string()))?;
        let DecoderConfig::Container(_, parameters) = source.decoder_config() else {
            return Err(fail(&segment.path, "not a recording".into()));
        };
        let mut units = Vec::new();
        while let Some(Ok(unit)) = source.next_unit() {
            units.push(unit);
        }
        let zero = units.iter().map(|u| u.pts_90k).min().unwrap_or(0);
        let shift = (segment.started_ms - from_ms) * 90 - zero;
        let utc = |u: &EncodedUnit| segment.started_ms + (u.pts_90k - zero) / 90;
        let start = if writer.is_none() {
            // The keyframe at or before the start.
            match units.iter().rposition(|u| u.keyframe && utc(u) <= from_ms) {
                Some(i) => i,
                None => match units.iter().position(|u| u.keyframe) {
                    Some(i) => i,
                    None => continue,
                },
            }
        } else {
            0
        };
        if writer.is_none() {
            writer = Some(SegmentWriter::create(out, parameters)?);
        }
        let Some(w) = writer.as_mut() else { continue };
        for unit in &units[start..] {
            if utc(unit) > to_ms {
                break;
            }
            w.write(&EncodedUnit {
                data: unit.data.clone(),
                pts_90k: unit.pts_90k + shift,
                dts_90k: unit.dts_90k.map(|d| d + shift),
                keyframe: unit.keyframe,
            })?;
            written += 1;
        }
    }
    match writer {
        Some(w) => {
            w.finish()?;
            Ok(written)
        }
        None => Err(fail(
            &out.to_string_lossy(),
            format!("nothing of camera {camera} was recorded in that time"),
        )),
    }
}
