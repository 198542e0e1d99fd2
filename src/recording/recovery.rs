//! Crash recovery at start: the index and the files are brought back into agreement. A
//! segment still marked open (the console stopped while writing it) is read to its last whole
//! fragment and marked recovered with its true end, or lost when nothing in it can be read; a
//! file with no row (a crash between writing it and indexing it) is indexed; a row whose file
//! is gone is reported. Every such repair is written to the audit log.

use super::{RecordError, segment_camera, segment_start_ms};
use crate::store::{NewAuditEntry, Principal, SegmentEnd, Store};
use crate::video::FileSource;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// What recovery found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Segments left open, now closed at their last readable picture.
    pub recovered: Vec<PathBuf>,
    /// Segments with nothing readable (kept on disk, marked lost).
    pub lost: Vec<PathBuf>,
    /// Files found on disk without a row, now indexed.
    pub indexed: Vec<PathBuf>,
    /// Rows whose file is gone.
    pub missing: Vec<String>,
    /// Files of rows marked deleted that a stop left on disk, now removed.
    pub finished_deletions: usize,
}

/// What a segment file holds: pictures, and the first and last presentation times (90 kHz).
pub fn scan_segment(path: &Path) -> Result<(u64, i64, i64), String> {
    let mut source = FileSource::open(path).map_err(|e| e.to_string())?;
    let (mut units, mut first, mut last) = (0u64, i64::MAX, i64::MIN);
    // A file cut short ends in a read error after its last whole fragment: stop there.
    while let Some(Ok(unit)) = source.next_unit() {
        units += 1;
        first = first.min(unit.pts_90k);
        last = last.max(unit.pts_90k);
    }
    if units == 0 {
        return Err("no picture can be read".into());
    }
    Ok((units, first, last))
}

/// Every `.mp4` under `dir`.
fn segment_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut folders = vec![dir.to_owned()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "mp4") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Ends a segment found open or unindexed; true when something in it could be read.
fn close_found(
    store: &mut Store,
    who: &Principal,
    camera: &str,
    path: &Path,
    started_ms: i64,
) -> Result<bool, RecordError> {
    let size_bytes = std::fs::metadata(path).map_or(0, |m| m.len() as i64);
    let (end, readable, detail) = match scan_segment(path) {
        Ok((units, first, last)) => (
            SegmentEnd {
                ended_ms: started_ms + (last - first) / 90,
                size_bytes,
                units: units as i64,
                state: "recovered",
            },
            true,
            serde_json::json!({ "units": units, "size_bytes": size_bytes }),
        ),
        Err(reason) => (
            SegmentEnd {
                ended_ms: started_ms,
                size_bytes,
                units: 0,
                state: "lost",
            },
            false,
            serde_json::json!({ "reason": reason, "size_bytes": size_bytes }),
        ),
    };
    let path_text = path.to_string_lossy();
    store.recording_ended(who, camera, &path_text, started_ms, &end)?;
    store.append_audit(&NewAuditEntry {
        actor: who.name().to_owned(),
        action: if readable {
            crate::domain::AuditAction::RecordingRecovered
        } else {
            crate::domain::AuditAction::RecordingLost
        },
        subject: path_text.into_owned(),
        detail,
    })?;
    Ok(readable)
}

/// Recovers the recordings under `dir` and their index.
pub fn recover(
    store: &mut Store,
    who: &Principal,
    dir: &Path,
) -> Result<RecoveryReport, RecordError> {
    let rows = store.recordings()?;
    recover_matching(store, who, dir, dir, rows, &|_| true)
}

/// Recovers the recordings of `camera` only (an engine taking over a camera whose last
/// engine stopped without closing its segment; the other cameras may be recording).
pub fn recover_camera(
    store: &mut Store,
    who: &Principal,
    dir: &Path,
    camera: &str,
) -> Result<RecoveryReport, RecordError> {
    let rows = store.camera_recordings(camera)?;
    recover_matching(store, who, dir, &dir.join(camera), rows, &|code| {
        code == camera
    })
}

/// Recovers `rows` under `dir` and the files under `files` of the cameras `wanted` accepts.
fn recover_matching(
    store: &mut Store,
    who: &Principal,
    dir: &Path,
    files: &Path,
    rows: Vec<crate::store::RecordingRow>,
    wanted: &dyn Fn(&str) -> bool,
) -> Result<RecoveryReport, RecordError> {
    let mut report = RecoveryReport::default();
    let indexed: HashSet<String> = rows.iter().map(|r| r.path.clone()).collect();
    for row in &rows {
        let path = PathBuf::from(&row.path);
        if !path.starts_with(dir) || !wanted(&row.camera_code) {
            continue;
        }
        if row.state == "deleted" {
            // A deletion interrupted between the index and the file: finish it.
            if path.exists() && std::fs::remove_file(&path).is_ok() {
                tracing::warn!(path = %row.path, "finished deleting a recording");
                report.finished_deletions += 1;
            }
            continue;
        }
        if !path.exists() {
            report.missing.push(row.path.clone());
            continue;
        }
        if row.state == "open" {
            tracing::warn!(path = %row.path, "segment left open by a stop: recovering");
            if close_found(store, who, &row.camera_code, &path, row.started_ms)? {
                report.recovered.push(path);
            } else {
                report.lost.push(path);
            }
        }
    }
    for path in segment_files(files) {
        if indexed.contains(path.to_string_lossy().as_ref()) {
            continue;
        }
        let (Some(camera), Some(started_ms)) = (segment_camera(&path), segment_start_ms(&path))
        else {
            continue; // not one of ours
        };
        if !wanted(&camera) {
            continue;
        }
        tracing::warn!(path = %path.display(), "segment without an index row: indexing");
        if close_found(store, who, &camera, &path, started_ms)? {
            report.indexed.push(path);
        } else {
            report.lost.push(path);
        }
    }
    Ok(report)
}
