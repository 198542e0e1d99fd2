//! Reading recordings back: a segment's units placed on the wall clock (its first picture is at
//! its `started_ms`, the others follow by presentation time), and a span of a camera's
//! recordings copied into one MP4 without re-encoding (from the keyframe before the start) on
//! one timeline — for trainers' exercises, and for evidence clips, which also see each unit.

use super::{RecordError, SegmentWriter};
use crate::store::RecordingRow;
use crate::video::{DecoderConfig, EncodedUnit, FileSource};
use std::path::Path;

/// A segment's units, in file order, with what places them on the wall clock.
pub struct SegmentUnits {
    pub config: DecoderConfig,
    pub units: Vec<EncodedUnit>,
    /// The segment's first picture, UTC ms, and its presentation time (90 kHz).
    pub started_ms: i64,
    pub zero_90k: i64,
}

impl SegmentUnits {
    /// Reads every unit of `segment` (a file cut short ends at its last whole fragment).
    pub fn read(segment: &RecordingRow) -> Result<Self, RecordError> {
        let mut source =
            FileSource::open(Path::new(&segment.path)).map_err(|e| RecordError::Write {
                path: segment.path.clone().into(),
                message: e.to_string(),
            })?;
        let mut units = Vec::new();
        while let Some(Ok(unit)) = source.next_unit() {
            units.push(unit);
        }
        Ok(Self {
            config: source.decoder_config(),
            zero_90k: units.iter().map(|u| u.pts_90k).min().unwrap_or(0),
            units,
            started_ms: segment.started_ms,
        })
    }

    /// The wall-clock time (UTC ms) of presentation time `pts_90k` of this segment.
    pub fn utc_ms(&self, pts_90k: i64) -> i64 {
        self.started_ms + (pts_90k - self.zero_90k) / 90
    }
}

/// Writes `camera`'s pictures of `[from_ms, to_ms]` to `out`; returns how many.
pub fn export_span(
    segments: &[RecordingRow],
    camera: &str,
    from_ms: i64,
    to_ms: i64,
    out: &Path,
) -> Result<u64, RecordError> {
    export_span_with(segments, camera, from_ms, to_ms, out, |_, _| {})
}

/// As [`export_span`], handing each unit written (as recorded, with its segment) to `seen`.
pub fn export_span_with(
    segments: &[RecordingRow],
    camera: &str,
    from_ms: i64,
    to_ms: i64,
    out: &Path,
    mut seen: impl FnMut(&SegmentUnits, &EncodedUnit),
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
        let read = SegmentUnits::read(segment)?;
        let DecoderConfig::Container(_, parameters) = &read.config else {
            return Err(fail(&segment.path, "not a recording".into()));
        };
        // On the output's timeline, 90 kHz from `from_ms`.
        let shift = (segment.started_ms - from_ms) * 90 - read.zero_90k;
        let start = if writer.is_none() {
            // The keyframe at or before the start.
            let keyframe_before = read
                .units
                .iter()
                .rposition(|u| u.keyframe && read.utc_ms(u.pts_90k) <= from_ms);
            match keyframe_before.or_else(|| read.units.iter().position(|u| u.keyframe)) {
                Some(i) => i,
                None => continue,
            }
        } else {
            0
        };
        if writer.is_none() {
            writer = Some(SegmentWriter::create(out, parameters.clone())?);
        }
        let Some(w) = writer.as_mut() else { continue };
        for unit in &read.units[start..] {
            if read.utc_ms(unit.pts_90k) > to_ms {
                break;
            }
            w.write(&EncodedUnit {
                data: unit.data.clone(),
                pts_90k: unit.pts_90k + shift,
                dts_90k: unit.dts_90k.map(|d| d + shift),
                keyframe: unit.keyframe,
            })?;
            seen(&read, unit);
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
