//! Continuous recording of cameras without re-encoding: fragmented MP4 segments
//! (`segment.rs`), rolled at keyframes (`recorder.rs`), indexed in the database by the caller
//! after each file is on disk, and brought back into agreement with the index after a crash
//! (`recovery.rs`). Segments live under `DIR/CAMERA/YYYY-MM-DD/` (Vietnam date), named by the
//! Vietnam time and the UTC milliseconds of their first picture.

mod export;
mod recorder;
mod recovery;
mod retention;
mod segment;

pub use export::{SegmentUnits, export_span, export_span_with};
pub use recorder::{Recorder, RecorderConfig, SegmentEvent};
pub use recovery::{RecoveryReport, recover, recover_camera, scan_segment};
pub use retention::{
    DeleteReason, PrunePlan, PruneReport, RetentionPolicy, disk_space, plan, prune,
};
pub use segment::{SegmentSummary, SegmentWriter, sync_file};

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("recording {path}: {message}")]
    Write { path: PathBuf, message: String },
    #[error("recordings index: {0}")]
    Index(#[from] crate::store::StoreError),
}

/// Where the segment of `camera` starting at `utc_ms` goes.
pub fn segment_path(dir: &Path, camera: &str, utc_ms: i64) -> PathBuf {
    let local = crate::clock::vietnam_datetime(utc_ms); // "YYYY-MM-DD HH:MM:SS"
    let (date, time) = local.split_once(' ').unwrap_or((&local, "00:00:00"));
    dir.join(camera)
        .join(date)
        .join(format!("{}_{utc_ms}.mp4", time.replace(':', "")))
}

/// The UTC milliseconds a segment's name records, if it is one of ours.
pub fn segment_start_ms(path: &Path) -> Option<i64> {
    let stem = path.file_stem()?.to_str()?;
    stem.split_once('_')?.1.parse().ok()
}

/// The camera a segment belongs to (its folder two levels up).
pub fn segment_camera(path: &Path) -> Option<String> {
    Some(path.parent()?.parent()?.file_name()?.to_str()?.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_names_carry_camera_date_and_start() {
        let path = segment_path(Path::new("/rec"), "DBP-GT-A1-N", 1_795_982_135_123);
        assert_eq!(
            path,
            Path::new("/rec/DBP-GT-A1-N/2026-11-30/025535_1795982135123.mp4")
        );
        assert_eq!(segment_start_ms(&path), Some(1_795_982_135_123));
        assert_eq!(segment_camera(&path).as_deref(), Some("DBP-GT-A1-N"));
        assert_eq!(segment_start_ms(Path::new("/rec/x/y/notes.mp4")), None);
    }
}
